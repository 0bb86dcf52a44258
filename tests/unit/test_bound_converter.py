"""The worker's converter keeps what it bound to each context: the SDK asks for a bound
converter for nearly every payload, and building one each time cost a new pydantic converter."""

import asyncio
import base64
import secrets

import pytest
from temporalio.converter import DataConverter, WorkflowSerializationContext

import clients
from clients import worker_data_converter
from security.readable import UNREADABLE
from settings import Settings


def _context(n: int) -> WorkflowSerializationContext:
    return WorkflowSerializationContext(namespace="default", workflow_id=f"ICR-CASE{n:08d}")


def _converter() -> DataConverter:
    key = "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    return worker_data_converter(Settings(payload_keys=key))


def test_the_same_context_gets_the_same_converter_bound_as_the_sdk_binds_it() -> None:
    converter = _converter()
    mine = converter.with_context(_context(1))
    assert converter.with_context(_context(1)) is mine
    sdks = DataConverter.with_context(converter, _context(1))  # the SDK's own, unremembered
    sealed = asyncio.run(mine.encode(["a note"]))
    assert asyncio.run(sdks.decode(sealed)) == ["a note"]
    other = converter.with_context(_context(2))
    assert other is not mine
    assert other.payload_codec is not None
    [opened] = asyncio.run(other.payload_codec.decode(sealed))  # bound to another case:
    assert UNREADABLE in opened.metadata  # the seal does not open there


def test_what_it_keeps_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clients, "CONTEXTS_KEPT", 8)
    converter = _converter()
    first = converter.with_context(_context(0))
    for n in range(1, 30):
        converter.with_context(_context(n))
    assert len(converter._bound) == 8  # type: ignore[attr-defined]
    assert converter.with_context(_context(0)) is not first  # the oldest went first
