"""The baseline: a bare workflow with the case's shape and none of its logic.

Same number of activities (each sends one real SMTP message), updates and timers as one full
case lifecycle, so the ratio of the two measures what the case engine itself costs.
"""

from datetime import timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import aiosmtplib
from temporalio import activity, workflow

UPDATES_PER_CASE = 6
ACTIVITY_AFTER = {0, 1, 3, 5}  # plus one at start: 5 activities, as a full case sends


@activity.defn(name="bare_send")
async def bare_send(args: list[Any]) -> None:
    host, port, case_id, n = args
    message = EmailMessage()
    message["From"] = "bench@icr.example"
    message["To"] = "sink@icr.example"
    message["Subject"] = f"[{case_id}] bare {n}"
    message["Message-ID"] = f"<{case_id}.{n}@bench>"
    message.set_content("bare")
    await aiosmtplib.send(message, hostname=host, port=port, timeout=20)


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self._updates = 0
        self._smtp: list[Any] = []

    @workflow.run
    async def run(self, smtp: list[Any]) -> int:
        self._smtp = smtp
        await self._send(99)
        for seen in range(UPDATES_PER_CASE):
            # A real timer per wait, cancelled when the update comes (as a case's deadline is).
            await workflow.wait_condition(
                partial(self._moved_past, seen), timeout=timedelta(days=30)
            )
            if seen in ACTIVITY_AFTER:
                await self._send(seen)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._updates

    def _moved_past(self, seen: int) -> bool:
        return self._updates > seen

    async def _send(self, n: int) -> None:
        await workflow.execute_activity(
            bare_send,
            [*self._smtp, workflow.info().workflow_id, n],
            start_to_close_timeout=timedelta(seconds=60),
        )

    @workflow.update(name="step")
    def step(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._updates += 1
        return {"updates": self._updates, **payload}

    @workflow.update(name="noop")
    def noop(self, payload: dict[str, Any]) -> dict[str, Any]:
        return payload
