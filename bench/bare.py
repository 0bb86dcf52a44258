"""The floor: a bare workflow that does what a case must do, no more and no less.

Per full lifecycle it sends the same notices as activities (each one real SMTP message, sent
while the workflow goes on, once: through the case's notice ledger), takes the same six
decisions as updates, really starts a durable timer for each wait (cancelled when the decision
comes, as a case's deadline timer is) and runs in the same worker process with the same
encrypted data converter and the same sandbox. The ratio of a case to it is what the case
engine itself costs; why each of its events is needed is in bench/README.md.
"""

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():  # as the case's modules are: once per process
    import aiosmtplib

    from store.ledger import NoticeLedger

UPDATES_PER_CASE = 6
NOTICE_AFTER = {0, 1, 3, 5}  # plus one at start: the five notices of a full case
WAIT = timedelta(days=30)


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

    @workflow.run
    async def run(self, smtp: list[Any]) -> int:
        self._smtp = smtp
        self._send(99)
        for seen in range(UPDATES_PER_CASE):
            await self._wait_for_decision(seen)
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
