"""Heartbeat only while an activity runs long enough to need it.

A heartbeat is a server write. A notice normally leaves in milliseconds, long before its
heartbeat timeout could expire, so beating at its start spent a write per notice for nothing;
a worker that dies is still found out when the timeout passes without a beat. Only an SMTP
conversation that drags on beats, every third of the timeout, so it is not taken for dead.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity


@asynccontextmanager
async def kept_alive() -> AsyncIterator[None]:
    """Within an activity with a heartbeat timeout, beat while the body outlasts a third of it."""
    timeout = activity.info().heartbeat_timeout if activity.in_activity() else None
    if not timeout:
        yield
        return
    every = timeout.total_seconds() / 3

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            activity.heartbeat()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
