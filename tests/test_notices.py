"""Notices over real SMTP: who gets what, exactly once, and the representative rule."""

from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

from activities.postbox import Postbox
from domain.inquiry import Submission
from domain.notices import Notice, NoticeKind, RecipientKind, correspondents
from settings import Settings
from store.ledger import NoticeLedger
from store.shared import database_for
from tests.support import (
    MailSink,
    actor,
    eventually,
    represented,
    start_case,
    status_of,
    unique,
    wait_stage,
)

pytestmark = pytest.mark.usefixtures("worker")

REP = "dana@lawfirm.example.org"
DETERMINE = {
    "actor": actor("SRO"),
    "finding": "DOES_NOT_MEET_PRIORITIES",
    "rationale": "Strong equities.",
}


async def determine(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update("record_determination", DETERMINE)
    result: dict[str, Any] = await handle.result()
    return result


async def test_determination_reaches_authorized_representative(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    handle = await start_case(client, settings, represented(form="G-28"))
    result = await determine(handle)
    letters = mail.to(handle.id, REP)
    assert [m.subject for m in letters] == [
        f"[{handle.id}] SRO inquiry received",
        f"[{handle.id}] Case review determination",
    ]
    determination = letters[1]
    assert "does not meet ICE's priorities" in determination.body
    assert "Strong equities." in determination.body
    assert determination.message_id == f"<{handle.id}.determination.requestor@icr.case-review>"
    notice = next(n for n in result["notices"] if n["kind"] == "DETERMINATION")
    assert notice["outcome"] == "SENT" and notice["recipients"] == ["REQUESTOR"]


async def test_unauthorized_representative_gets_no_case_information(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    """A SELF requestor with a representative but no form: the requestor is told, not the rep."""
    data = represented(form=None)
    data["requestor"] = {
        "kind": "SELF",
        "name": "Maria Lopez Garcia",
        "phone": "+12125550143",
        "email": "maria.lopez@example.org",
    }
    handle = await start_case(client, settings, data)
    await determine(handle)
    assert mail.to(handle.id, REP) == [], "no form on file: the representative gets nothing"
    to_requestor = mail.to(handle.id, "maria.lopez@example.org")
    assert any("does not meet" in m.body for m in to_requestor)

    # Authorized representative beside a SELF requestor: both get the determination.
    data["representative"]["authorization"] = {"form": "ICE-60-001", "document_ref": "F-9"}
    handle = await start_case(client, settings, data)
    await determine(handle)
    assert [m.subject for m in mail.to(handle.id, REP)] == [
        f"[{handle.id}] Case review determination"
    ]
    assert "does not meet" in mail.to(handle.id, REP)[0].body


async def test_representative_requestor_without_form_hears_only_that_a_response_exists(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    data = represented(form=None, entry="LOCAL_REVIEW", local_response=None)
    handle = await start_case(client, settings, data)
    await wait_stage(handle, "LOCAL_REVIEW")
    await handle.execute_update(
        "record_local_response",
        {
            "actor": actor("FIELD_OFFICE"),
            "finding": "MEETS_PRIORITIES",
            "message": "Secret reasons.",
        },
    )
    letters = await eventually(lambda: _ready(mail.to(handle.id, REP)), lambda m: len(m) == 1)
    assert "A response exists" in letters[0].body and "G-28" in letters[0].body
    assert "Secret reasons." not in letters[0].body and "Maria" not in letters[0].body
    await handle.terminate("test done")


async def _ready(value: Any) -> Any:
    return value


async def test_each_notice_is_sent_once_even_when_repeated(
    settings: Settings, mail: MailSink
) -> None:
    """A retried activity, or one run again by a restarted worker, finds the ledger entry."""
    postbox = Postbox(settings, NoticeLedger(database_for(settings)))
    sub = Submission.model_validate(represented())
    case_id = f"ICR-{unique('X')[-12:].upper()}"
    notice = Notice(
        case_id=case_id,
        kind=NoticeKind.DETERMINATION,
        event_key="determination",
        field_office=sub.field_office,
        to=correspondents(sub, include_representative=True),
        text="r",
    )
    first = await postbox.deliver(notice)
    second = await postbox.deliver(notice)
    assert first.delivered == [RecipientKind.REQUESTOR] and second.already_sent == [
        RecipientKind.REQUESTOR
    ]
    assert len([m for m in mail.received if case_id in m.message_id]) == 1
    # A fresh ledger object on the same file (a restarted worker) knows it too.
    third = await Postbox(settings, NoticeLedger(database_for(settings))).deliver(notice)
    assert third.already_sent == [RecipientKind.REQUESTOR]


async def test_refused_address_fails_that_notice_not_the_case(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    bad = f"{unique('nobody')}@example.org"
    data = represented()
    data["requestor"] = {**data["requestor"], "email": bad}
    mail.refuse.add(bad)
    handle = await start_case(client, settings, data)
    status = await eventually(
        lambda: status_of(handle), lambda s: any(n.outcome == "FAILED" for n in s.notices)
    )
    failed = next(n for n in status.notices if n.outcome == "FAILED")
    assert failed.kind == "INQUIRY_RECEIVED"
    assert failed.error == "recipient REQUESTOR refused"
    assert status.stage == "SRO_REVIEW"
    result = await determine(handle)
    assert result["closure_reason"] == "DETERMINATION_ISSUED"
