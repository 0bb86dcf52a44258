"""Staff decide a case through the Temporal Web UI, in a real browser (Debian's chromium)."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal
from urllib.parse import quote

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle

from domain.status import CaseStatus
from settings import Settings
from tests.conftest import TOKENS
from tests.support import eventually, start_case, status_of, submission, wait_stage
from tests.ui import StaffUI, browser

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.slow]
DETERMINE = {"finding": "MEETS_PRIORITIES", "rationale": "x"}


@pytest_asyncio.fixture(scope="module")
async def staff(ui_port: int, codec_server: str, settings: Settings) -> AsyncIterator[StaffUI]:
    """A staff member's browser, signed in to the codec server the UI is pointed at."""
    async with browser() as b:
        page = await b.new_page(viewport={"width": 1400, "height": 1000})
        ui = StaffUI(page, f"http://localhost:{ui_port}")
        await ui.use_codec_server(codec_server, TOKENS["field_office.one"])
        yield ui


async def test_case_from_start_to_closed_through_the_ui_alone(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    handle = await start_case(client, settings, submission(field_office="SAN_ANTONIO"))
    await wait_stage(handle, "LOCAL_REVIEW")
    await staff.open_case(handle.id)
    await staff.screenshot("01-case-page")

    # Each step signed in as the person who decides it, the body copied from the desk in
    # Current Details (the line of the finding or party chosen): staff type only their
    # judgment, in place of each …; no JSON key, id or enum is typed by hand.
    steps: list[tuple[str, Literal["Signal", "Update"], str, dict[str, Any], str]] = [
        (
            "field_office.one",
            "Signal",
            "record_local_response",
            {"finding": "MEETS_PRIORITIES", "message": "Reviewed."},
            "AWAITING_ESCALATION",
        ),
        (
            "intake.one",
            "Update",
            "submit_sro_inquiry",
            {"phone": "+12105550143", "email": "maria.lopez@example.org", "statement": "SRO."},
            "SRO_REVIEW",
        ),
        ("supervisor.one", "Signal", "assign_reviewer", {"reviewer_id": "sro.reviewer1"}, ""),
        (
            "sro.reviewer1",
            "Update",
            "request_consultation",
            {"party": "FIELD_OFFICE", "question": "Any new arrests?"},
            "SRO_REVIEW",
        ),
        ("field_office.one", "Signal", "record_consultation_response", {"response": "None."}, ""),
        (
            "sro.reviewer1",
            "Update",
            "record_determination",
            {"finding": "DOES_NOT_MEET_PRIORITIES", "rationale": "Equities."},
            "CLOSED",
        ),
    ]
    for index, (person, kind, name, written, stage) in enumerate(steps, start=1):
        await staff.sign_in(staff.endpoint, TOKENS[person])
        picked = {k: v for k, v in written.items() if k in ("finding", "party")}
        offered = await staff.desk_body(handle.id, name, **picked)
        assert offered["case_id"] == handle.id
        assert set(written) <= set(offered), f"{name}: the desk offers {sorted(offered)}"
        body = {**offered, **written}
        assert "…" not in json.dumps(body, ensure_ascii=False), "every placeholder written"
        await staff.open_case(handle.id)
        shot = f"02-step-{index}-{name}-by-{kind.lower()}"
        before = len((await status_of(handle)).history)
        assert await staff.send(kind, name, body, screenshot=shot) is None, f"{name} refused"
        status = await eventually(lambda: status_of(handle), applied_after(before))
        if stage:
            status = await wait_stage(handle, stage)
        assert status.history[-1].name == name
        assert status.history[-1].actor.id == person, "the signed-in person decided"
        if index == 1:
            await staff.current_details(handle.id)
            await staff.screenshot("08-desk-after-local-response")
    final = await status_of(handle)
    assert (final.closure_reason, final.finding) == (
        "DETERMINATION_ISSUED",
        "DOES_NOT_MEET_PRIORITIES",
    )
    assert final.rejected == []
    assert final.assigned_reviewer == "sro.reviewer1"


def applied_after(count: int) -> Callable[[CaseStatus], bool]:
    return lambda status: len(status.history) == count + 1


async def test_rejected_update_shows_the_reason_and_changes_nothing(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    await staff.sign_in(staff.endpoint, TOKENS["field_office.one"])
    await staff.open_case(handle.id)
    reason = await staff.send(
        "Update",
        "record_determination",
        {"case_id": handle.id, **DETERMINE},
        screenshot="06-update-rejected-by-validator",
    )
    assert reason == "you hold no role that may record_determination; allowed: SRO"
    # The field officer's session claiming to be the SRO: refused, the SRO's name or not.
    await staff.open_case(handle.id)
    forged = {"actor": {"id": "sro.one", "role": "SRO"}, "case_id": handle.id, **DETERMINE}
    reason = await staff.send("Update", "record_determination", forged)
    assert reason is not None and "actor is not the person who signed it" in reason
    status = await status_of(handle)
    assert status.stage == "LOCAL_REVIEW" and status.history == [] and status.rejected == []
    await handle.terminate("test done")


async def test_empty_and_invalid_signals_do_not_wedge_the_case(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    await staff.open_case(handle.id)
    assert await staff.send("Signal", "record_local_response", None) is None  # empty Data box
    status = await wait_for_rejections(handle, 1)
    assert status.rejected[0].reason.startswith("the payload is empty")
    await staff.open_case(handle.id)
    await staff.sign_in(staff.endpoint, TOKENS["field_office.one"])
    await staff.open_case(handle.id)
    await staff.send(
        "Signal",
        "record_local_response",
        json.dumps({"case_id": handle.id, "finding": "MEETS_PRIORITIES"}),
    )
    status = await wait_for_rejections(handle, 2)
    assert "message: Field required" in status.rejected[1].reason
    details = await staff.current_details(handle.id)
    assert "Last rejected signal" in details and "message: Field required" in details
    await staff.screenshot("03-current-details-rejected-signal")

    await staff.open_case(handle.id)
    await staff.send(
        "Signal",
        "record_local_response",
        {"case_id": handle.id, "finding": "MEETS_PRIORITIES", "message": "Now right."},
    )
    await wait_stage(handle, "AWAITING_ESCALATION")
    await handle.terminate("test done")


async def wait_for_rejections(handle: WorkflowHandle[Any, Any], count: int) -> Any:
    return await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == count)


async def test_status_query_in_the_queries_tab(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    handle = await start_case(client, settings, submission(detained=True))
    await wait_stage(handle, "LOCAL_REVIEW")
    shown = await staff.query_status(handle.id)
    await staff.screenshot("04-queries-tab-status")
    assert shown["case_id"] == handle.id and shown["stage"] == "LOCAL_REVIEW"
    assert shown["detained"] is True and shown["open_tasks"][0]["role"] == "FIELD_OFFICE"
    await handle.terminate("test done")


async def test_list_view_filters_on_stage_and_office(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    handle = await start_case(client, settings, submission(field_office="ST_PAUL"))
    await wait_stage(handle, "LOCAL_REVIEW")
    query = quote('CaseStage="LOCAL_REVIEW" AND FieldOffice="ST_PAUL"')

    async def listed() -> list[str]:
        return await staff.list_cases(query)

    cases = await eventually(listed, lambda ids: handle.id in ids, timeout=30)
    await staff.screenshot("05-list-filtered-stage-office")
    assert handle.id in cases
    await handle.terminate("test done")


async def test_ui_shows_decoded_data_through_the_codec_server(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    """The server holds only ciphertext; the signed-in staff member reads plain JSON."""
    handle = await start_case(client, settings, submission(field_office="BOSTON"))
    await wait_stage(handle, "LOCAL_REVIEW")
    await staff.open_case(handle.id)
    await staff.page.get_by_text('"given_name"').first.wait_for()
    await staff.page.get_by_text('"Maria"').first.wait_for()
    await staff.screenshot("07-case-input-decoded-by-codec-server")
    assert await staff.page.get_by_text("binary/encrypted").count() == 0
    await handle.terminate("test done")
