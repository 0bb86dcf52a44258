"""The name the worker greets the relay with is looked up once per process, not per message
(the SMTP client looked it up, in a thread, for every notice)."""

import asyncio
import socket

import pytest

from activities import relay


def test_the_greeting_name_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def lookup() -> str:
        calls.append(1)
        return "worker.icr.example"

    monkeypatch.setattr(socket, "getfqdn", lookup)
    monkeypatch.setattr(relay, "_hostname", None)

    async def many() -> list[str]:
        return [await relay.local_hostname() for _ in range(20)]

    assert asyncio.run(many()) == ["worker.icr.example"] * 20
    assert len(calls) == 1
