"""The floor: a bare workflow that does what a case must do, no more and no less.

Per full lifecycle it sends the same notices as activities (each one real SMTP message, sent
while the workflow goes on, once: through the case's notice ledger), takes the same six
decisions as updates, really starts a durable timer for each wait (cancelled when the decision
comes, as a case's deadline timer is) and runs in the same worker process with the same
encrypted data converter and the same sandbox. It keeps the same search attributes current
as a case does (the contract's lists need them): the same four set at start and the same
upserts, of the same attributes, in the same workflow tasks (``UPSERTS``). The ratio of a case to
it is what the case engine itself costs; why each of its events is needed is in bench/README.md.
"""

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from temporalio import activity, workflow
from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():  # as the case's modules are: once per process
    import aiosmtplib

    from store.ledger import NoticeLedger
    from workflows import search_attributes as search

UPDATES_PER_CASE = 6
NOTICE_AFTER = {0, 1, 3, 5}  # plus one at start: the five notices of a full case
WAIT = timedelta(days=30)
START_ATTRIBUTES = TypedSearchAttributes(
    [
        SearchAttributePair(search.CASE_STAGE, "LOCAL_REVIEW"),
        SearchAttributePair(search.FIELD_OFFICE, "NEW_YORK_CITY"),
        SearchAttributePair(search.DETAINED, False),
        SearchAttributePair(search.SUBJECT_KEY, "0" * 64),
    ]
)
"""What a case is started with (``intake.submit``); the subject key a keyed hash's length."""
UPSERTS: list[dict[str, str | None]] = [
    {"NextDeadline": "7"},  # the opening task: the first deadline
    {"NextDeadline": "30", "CaseStage": "AWAITING_ESCALATION"},  # record_local_response
    {"NextDeadline": "30", "CaseStage": "SRO_REVIEW"},  # submit_sro_inquiry
    {"AssignedReviewer": "sro.reviewer1"},  # assign_reviewer: the deadline stays
    {"NextDeadline": "7"},  # request_consultation: the consultation's deadline
    {"NextDeadline": "30"},  # record_consultation_response
    {"NextDeadline": None, "CaseStage": "CLOSED", "CaseFinding": "DOES_NOT_MEET_PRIORITIES"},
]
"""The upserts a case does in the bench's lifecycle, in the task of the start and of each
decision (read from its history); a deadline as days from now, None to unset it. When the first
decision comes in the opening task, a case upserts once for both (what changed), so does the
floor."""


class BareNotices:
    """A notice goes out once, also when its activity is retried (the contract): the floor
    asks the same ledger as a case before sending and writes to it after."""

    def __init__(self, ledger: NoticeLedger) -> None:
        self._ledger = ledger

    @activity.defn(name="bare_send")
    async def bare_send(self, args: list[Any]) -> None:
        host, port, case_id, n = args
        mid = f"<{case_id}.{n}@bench>"
        if await self._ledger.was_sent(mid):
            return
        message = EmailMessage()
        message["From"] = "bench@icr.example"
        message["To"] = "sink@icr.example"
        message["Subject"] = f"[{case_id}] bare {n}"
        message["Message-ID"] = mid
        message.set_content("bare")
        await aiosmtplib.send(message, hostname=host, port=port, timeout=20)
        await self._ledger.mark_sent(mid)


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self._updates = 0
        self._smtp: list[Any] = []
        self._sending: list[asyncio.Task[None]] = []
        self._due: dict[str, str | None] = {}

    @workflow.run
    async def run(self, smtp: list[Any]) -> int:
        self._smtp = smtp
        self._send(99)
        await asyncio.sleep(0)  # an update that came with the start is taken first, as a case's is
        self._due = dict(UPSERTS[0])
        if not self._updates:  # else it goes out with the first decision's: one upsert a task
            self._publish()
        for seen in range(UPDATES_PER_CASE):
            await self._wait_for_decision(seen)
            self._due.update(UPSERTS[seen + 1])
            self._publish()
            if seen in NOTICE_AFTER:
                self._send(seen)
        await asyncio.gather(*self._sending)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._updates

    async def _wait_for_decision(self, seen: int) -> None:
        """A timer started before the wait, whether or not the decision is already on its way
        (a case keeps one on its next deadline); cancelled when the decision comes."""
        timer = asyncio.create_task(workflow.sleep(WAIT))
        await asyncio.sleep(0)  # let the timer's command be issued before the wait ends
        await workflow.wait_condition(lambda: self._updates > seen)
        timer.cancel()

    def _publish(self) -> None:
        """Upsert what is due, once for the task, as a case upserts only what changed."""
        updates: list[SearchAttributeUpdate[Any]] = []
        for name, value in self._due.items():
            if name == "NextDeadline":
                key = search.NEXT_DEADLINE
                updates.append(
                    key.value_unset()
                    if value is None
                    else key.value_set(workflow.now() + timedelta(days=int(value)))
                )
            else:
                keyword = {k.name: k for k in search.ALL_KEYS}[name]
                assert value is not None
                updates.append(keyword.value_set(value))  # type: ignore[arg-type]
        workflow.upsert_search_attributes(updates)
        self._due = {}

    def _send(self, n: int) -> None:
        self._sending.append(
            asyncio.create_task(
                workflow.execute_activity(
                    "bare_send",
                    [*self._smtp, workflow.info().workflow_id, n],
                    start_to_close_timeout=timedelta(seconds=60),
                )
            )
        )

    @workflow.update(name="step")
    def step(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._updates += 1
        return {"updates": self._updates, **payload}

    @workflow.update(name="noop")
    def noop(self, payload: dict[str, Any]) -> dict[str, Any]:
        return payload
