"""One durable timer on the case's next deadline, moved only when the deadline moves."""

import asyncio
from datetime import datetime

from temporalio import workflow


class DeadlineTimer:
    """A case sleeps on one timer at a time: a new deadline cancels the old timer only when the
    moment differs, so an unchanged deadline costs no timer events."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._target: datetime | None = None
        self.fired = False

    def aim(self, target: datetime | None) -> None:
        """Wake the case at ``target`` (None: no deadline, no timer)."""
        if target == self._target:
            return
        self.cancel()
        if target is not None:
            self._target = target
            self._task = asyncio.create_task(self._sleep_until(target))

    def take_firing(self) -> bool:
        """True once after the timer fired; the next ``aim`` starts a new one."""
        if not self.fired:
            return False
        self.fired = False
        self._target = None
        return True

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self._target = None

    async def _sleep_until(self, target: datetime) -> None:
        delay = (target - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay, summary=f"next deadline {target:%Y-%m-%d %H:%M}Z")
        self.fired = True
