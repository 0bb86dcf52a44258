"""Staff decide a case through the Temporal Web UI, in a real browser (Debian's chromium)."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle

from domain.decisions import DECISIONS
from domain.desk import BY_SERVICES
from domain.status import CaseStatus
from settings import Settings
from tests.conftest import TOKENS
from tests.support import (
    eventually,
    represented,
    start_case,
    status_of,
    submission,
    wait_stage,
)
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


async def test_a_case_decided_on_the_desk_as_the_staff_guide_says(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    """The six decisions from the local review to the determination, each made as
    docs/staff-guide.md says, click for click: sign in as the person; triple-click the body on
    the desk, Ctrl+C; More Actions → Send an Update (or a Signal) → the name → click the Data
    box, Ctrl+V; double-click each WRITE_… word, type; click the word Data; Submit. Staff type
    only their own words. A wrong-role signal on the way is refused naming its signer, and the
    closed case offers nothing more."""
    handle = await start_case(client, settings, submission(field_office="SAN_ANTONIO"))
    await wait_stage(handle, "LOCAL_REVIEW")
    await staff.open_case(handle.id)
    await staff.screenshot("01-case-page")
    for index, step in enumerate(CASE_STEPS, start=1):
        await decide_as_the_guide_says(staff, handle, index, step)
        if step.name == "assign_reviewer":
            await a_wrong_role_signal_is_refused_naming_its_signer(staff, handle)
    final = await status_of(handle)
    assert (final.closure_reason, final.finding) == (
        "DETERMINATION_ISSUED",
        "DOES_NOT_MEET_PRIORITIES",
    )
    assert final.assigned_reviewer == "sro.reviewer1"
    await a_closed_case_offers_nothing(staff, handle)


async def test_the_other_decisions_on_the_desk_as_the_staff_guide_says(
    client: Client, settings: Settings, staff: StaffUI
) -> None:
    """The rest of what the desk offers, the same way: a note, the missing information, the
    reminders and a withdrawal, on a case that waits for information."""
    incomplete = represented(form=None)
    incomplete["subject"] = {**incomplete["subject"], "date_of_birth": None}
    incomplete["contact_confirmed"] = False  # as the mailbox opens a case: confirm_contact
    handle = await start_case(client, settings, incomplete)
    await wait_stage(handle, "AWAITING_INFORMATION")
    for index, step in enumerate(OTHER_STEPS, start=len(CASE_STEPS) + 1):
        await decide_as_the_guide_says(staff, handle, index, step)
    final = await status_of(handle)
    assert final.closure_reason == "WITHDRAWN" and final.missing_items == []
    offered = {name for name in DECISIONS if name not in BY_SERVICES}
    walked = {s.name for s in CASE_STEPS + OTHER_STEPS}
    assert walked == offered, "the two tests walk every decision the desk offers"


class Step(NamedTuple):
    person: str
    kind: Literal["Signal", "Update"]
    name: str
    picked: dict[str, Any]
    written: list[str]
    """The person's own words, in place of each WRITE_… word in the body's order."""
    stage: str


CASE_STEPS = [
    Step(
        "field_office.one",
        "Signal",
        "record_local_response",
        {"finding": "MEETS_PRIORITIES"},
        ["Reviewed."],
        "AWAITING_ESCALATION",
    ),
    Step(
        "intake.one",
        "Update",
        "submit_sro_inquiry",
        {},
        ["+12105550143", "maria.lopez@example.org", "Requesting SRO review."],
        "SRO_REVIEW",
    ),
    Step("supervisor.one", "Signal", "assign_reviewer", {}, ["sro.reviewer1"], "SRO_REVIEW"),
    Step(
        "sro.reviewer1",
        "Update",
        "request_consultation",
        {"party": "FIELD_OFFICE"},
        ["Any new arrests?"],
        "SRO_REVIEW",
    ),
    Step("field_office.one", "Signal", "record_consultation_response", {}, ["None."], "SRO_REVIEW"),
    Step(
        "sro.reviewer1",
        "Update",
        "record_determination",
        {"finding": "DOES_NOT_MEET_PRIORITIES"},
        ["Long residence, no criminal history."],
        "CLOSED",
    ),
]
OTHER_STEPS = [
    Step("intake.one", "Update", "add_note", {}, ["Called the attorney."], "AWAITING_INFORMATION"),
    Step("intake.one", "Update", "confirm_contact", {}, [], "AWAITING_INFORMATION"),
    Step(
        "intake.one",
        "Update",
        "provide_information",
        {"authorization": {"form": "G-28", "document_ref": "WRITE_HERE"}},
        ["1988-04-12", "DOC-77"],
        "SRO_REVIEW",
    ),
    Step("supervisor.one", "Update", "send_reminders", {}, [], "SRO_REVIEW"),
    Step(
        "supervisor.one",
        "Signal",
        "withdraw",
        {},
        ["The requestor withdrew the inquiry."],
        "CLOSED",
    ),
]


async def decide_as_the_guide_says(
    staff: StaffUI, handle: WorkflowHandle[Any, Any], index: int, step: Step
) -> None:
    await staff.sign_in(staff.endpoint, TOKENS[step.person])
    shot = f"02-step-{index}-{step.name}-by-{step.kind.lower()}"
    copied = await staff.copy_from_desk(
        handle.id,
        step.name,
        screenshot="09-desk-body-selected" if index == 1 else None,
        **step.picked,
    )
    assert copied["case_id"] == handle.id and "actor" not in copied
    before = len((await status_of(handle)).history)
    refused = await staff.decide_from_desk(step.kind, step.name, step.written, screenshot=shot)
    assert refused is None, f"{step.name} refused: {refused}"
    status = await eventually(lambda: status_of(handle), applied_after(before))
    status = await wait_stage(handle, step.stage)
    assert status.history[-1].name == step.name
    assert status.history[-1].actor.id == step.person, "the signed-in person decided"
    if index == 1:
        await staff.current_details(handle.id)
        await staff.screenshot("08-desk-after-local-response")


async def a_wrong_role_signal_is_refused_naming_its_signer(
    staff: StaffUI, handle: WorkflowHandle[Any, Any]
) -> None:
    """The field officer sends the SRO's determination as a signal: refused, and the refusal
    names the person the codec server signed it for."""
    await staff.sign_in(staff.endpoint, TOKENS["field_office.one"])
    await staff.copy_from_desk(handle.id, "record_determination", finding="MEETS_PRIORITIES")
    assert await staff.decide_from_desk("Signal", "record_determination", ["Mine."]) is None
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 1)
    details = await staff.current_details(handle.id)
    await staff.screenshot("03-current-details-rejected-signal")
    assert status.rejected[0].actor is not None
    assert status.rejected[0].actor.id == "field_office.one"
    assert "record_determination from field_office.one (FIELD_OFFICE)" in details


async def a_closed_case_offers_nothing(staff: StaffUI, handle: WorkflowHandle[Any, Any]) -> None:
    details = await staff.current_details(handle.id)
    await staff.screenshot("11-closed-case-details")
    assert "Decide now" not in details and "WRITE_" not in details
    assert "Closed: nothing more can be decided" in details
    # The UI agrees: a completed workflow's More Actions offers no signal and no update.
    await staff.page.get_by_role("button", name="More Actions").click()
    await staff.page.get_by_role("menuitem").first.wait_for()  # the menu is open
    offered = [await item.inner_text() for item in await staff.page.get_by_role("menuitem").all()]
    assert offered == ["Start Workflow Like This One"], offered
    await staff.page.keyboard.press("Escape")


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
