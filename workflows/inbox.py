"""What arrives, kept raw and in order until the run loop judges it in bounded slices.

A handler only takes in: constant work, no decoding, no model, no log line. However many
signals one workflow task delivers, the activation that delivers them costs little, and the
case judges them a slice per task (``SLICE``), so no task comes near the SDK's deadlock limit.
An update waits in the same line as the signals before it: the order of application is the
order of arrival, whatever the channel.
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.status import CaseStatus

SLICE = 200
"""Messages judged per workflow task: at the worst measured cost of a signed decision (under
1 ms, ``make bench``) a slice stays far below the SDK's 2 s deadlock limit."""
MAX_WAITING = 10_000
"""Messages kept unjudged; past it a signal is counted as refused unread. The server's
per-run signal cap (docs/contract.md, "The server's limits") keeps a live case far below it."""
UNKNOWN = "(unknown)"
"""The name a signal under no decision's name is judged and recorded under."""


@dataclass(slots=True)
class Message:
    """One signal or update as it arrived; ``answer`` is the update's waiting caller."""

    name: str
    args: tuple[Any, ...]
    answer: "asyncio.Future[CaseStatus] | None" = None


@dataclass
class Inbox:
    waiting: deque[Message] = field(default_factory=deque)
    overflow: int = 0
    """Signals that found the inbox full since the run loop last looked: refused unread."""
    signals: int = 0
    """Signals this run took in (the server caps them per run; continue-as-new resets it)."""
    updates: int = 0
    """Updates this run took in (the server caps their total per run too)."""
    last_update_task: int = 0
    """The workflow task that brought the latest update, by its history length (unique to a
    task that brought one: an accepted update is kept in the history)."""

    def take_signal(self, name: str, args: tuple[Any, ...]) -> None:
        self.signals += 1
        if len(self.waiting) >= MAX_WAITING:
            self.overflow += 1
            return
        self.waiting.append(Message(name, args))

    async def take_update(self, name: str, args: tuple[Any, ...]) -> CaseStatus:
        """Wait in line; the run loop answers (a status, or the refusal raised)."""
        self.updates += 1
        self.last_update_task = workflow.info().get_current_history_length()
        answer: asyncio.Future[CaseStatus] = asyncio.get_running_loop().create_future()
        self.waiting.append(Message(name, args, answer))
        return await answer

    def slice(self) -> list[Message]:
        """The next messages to judge, oldest first, at most ``SLICE``."""
        count = min(SLICE, len(self.waiting))
        return [self.waiting.popleft() for _ in range(count)]

    def take_overflow(self) -> int:
        dropped, self.overflow = self.overflow, 0
        return dropped

    def __bool__(self) -> bool:
        return bool(self.waiting) or self.overflow > 0
