"""A notice beats only when it runs long: a quick one costs the server no heartbeat."""

import asyncio
import dataclasses
from datetime import timedelta

from temporalio import activity
from temporalio.testing import ActivityEnvironment

from activities.keepalive import kept_alive


async def run(seconds: float, heartbeat_timeout: timedelta | None) -> list[object]:
    beats: list[object] = []
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=heartbeat_timeout)
    env.on_heartbeat = lambda *details: beats.append(details)

    @activity.defn
    async def body() -> None:
        async with kept_alive():
            await asyncio.sleep(seconds)

    await env.run(body)
    return beats


async def test_a_quick_notice_never_beats() -> None:
    assert await run(0.0, timedelta(seconds=30)) == []


async def test_a_long_send_beats_every_third_of_its_timeout() -> None:
    assert len(await run(0.5, timedelta(milliseconds=300))) >= 2


async def test_without_a_heartbeat_timeout_nothing_beats() -> None:
    assert await run(0.2, None) == []
