"""The SMTP rate limit spaces sends evenly, and a zero limit never waits."""

import asyncio
import itertools
import time

import pytest

from activities.postbox import RateLimit


async def test_sends_are_spaced_by_the_limit() -> None:
    limit = RateLimit(per_second=20)
    began = time.monotonic()
    stamps = []

    async def send() -> None:
        await limit.wait()
        stamps.append(time.monotonic() - began)

    await asyncio.gather(*(send() for _ in range(6)))
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(gap >= 0.045 for gap in gaps), gaps  # 1/20 s apart, a little timer slack
    assert stamps[-1] >= 0.24


async def test_no_limit_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(delay: float) -> None:
        raise AssertionError(f"slept {delay}s with no limit set")

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    limit = RateLimit(per_second=0)
    for _ in range(100):
        await limit.wait()
