"""What the worker reads is always readable: a payload it cannot decode becomes a marker.

A workflow task decodes every payload of its activation before any handler runs, so one
payload that fails to decrypt, or names an encoding nobody knows, or holds broken JSON, would
fail the task again on every retry and freeze the case (and, sent as a query argument, every
case the worker touches). Here each such payload is replaced by a JSON marker that carries the
reason; the case's own readers refuse it like any other bad input.
"""

import json
from collections.abc import Sequence
from typing import Any, Self

import pydantic_core
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

from domain.starting import UNREADABLE_FIELD
from security.codec import SEALED

UNREADABLE = "icr-unreadable"
"""Metadata key of a marker payload; its value is the reason, in words."""

MAX_ARGUMENTS = 8
"""No call of ours takes more payloads than this (a decision one, a continued run two). A
sender's thousands of tiny arguments become one marker here, before the workflow task, which
would otherwise decode each of them inside the activation (the SDK does when the count does
not match the handler's)."""

UNSEALED_PARSED_BYTES = 64 * 1024
"""An unsealed payload longer than this is not parsed where keys are held: no decision, start
or answer of ours travels unsealed there, the case refuses it from its metadata alone, and JSON
can be built to cost ~75 ms a 500 KB payload to parse (arrays nested 199 deep)."""

_JSON = b"json/plain"
_REASON_LIMIT = 120


def marker(reason: str) -> Payload:
    reason = reason[:_REASON_LIMIT]
    return Payload(
        metadata={"encoding": _JSON, UNREADABLE: reason.encode()},
        data=json.dumps({UNREADABLE_FIELD: reason}).encode(),  # for readers of values
    )


def unreadable_reason(payload: Payload) -> str | None:
    """The reason a payload was replaced by a marker, or None for a readable payload."""
    reason = payload.metadata.get(UNREADABLE)
    return None if reason is None else reason.decode(errors="replace")


def why_unreadable(payload: Payload, parse: bool = True) -> str | None:
    """Why the worker's converter could not read this payload, or None when it can.

    JSON is parsed by the converter's own parser (pydantic's), which is stricter than the
    standard library's (nesting past 200 levels, UTF-16, a byte-order mark, a lone surrogate):
    a payload passed here never fails the SDK's own decoding of a typed argument. ``parse``
    False: one of several arguments, which nobody parses (``ArgumentsAsSent``), so its JSON
    is not read here either: a few hundred kilobytes built to be slow to parse cost the
    worker's event loop nothing."""
    encoding = payload.metadata.get("encoding")
    if encoding == b"binary/plain" or (encoding == b"binary/null" and not payload.data):
        return None
    if not payload.metadata and not payload.data:
        return "the payload is empty"
    if encoding != _JSON:  # never echoed: the sender chose it
        return "the payload has no encoding" if encoding is None else "unknown payload encoding"
    if not parse:  # one of several arguments: never parsed by the SDK (ArgumentsAsSent)
        return None
    try:
        pydantic_core.from_json(payload.data)
    except (ValueError, RecursionError):
        return "the payload is not valid JSON"
    return None


class ReadableCodec(PayloadCodec, WithSerializationContext):
    """Wraps the worker's codec (encryption, or none): decoding never raises."""

    def __init__(self, inner: PayloadCodec | None) -> None:
        self._inner = inner

    def with_context(self, context: SerializationContext) -> Self:
        """The inner codec bound to the context's case (``security.codec``)."""
        inner = self._inner
        if isinstance(inner, WithSerializationContext):
            return type(self)(inner.with_context(context))
        return self

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads) if self._inner is None else await self._inner.encode(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if len(payloads) > MAX_ARGUMENTS:  # one marker for all: no per-argument work anywhere
            return [marker(f"{len(payloads)} arguments arrived")]
        single = len(payloads) == 1  # several: nobody parses them (ArgumentsAsSent)
        return [await self._decode_one(p, parse=single) for p in payloads]

    async def _decode_one(self, payload: Payload, parse: bool = True) -> Payload:
        if UNREADABLE in payload.metadata:  # a sender's forged marker is just unreadable
            return marker("the payload could not be read")
        if self._inner is not None:
            try:
                [payload] = await self._inner.decode([payload])
            except Exception:  # any key, nonce, tag or framing problem of the sender's
                return marker("the payload could not be decrypted")
            if SEALED not in payload.metadata and len(payload.data) > UNSEALED_PARSED_BYTES:
                parse = False
        reason = why_unreadable(payload, parse)
        return payload if reason is None else marker(reason)


class ArgumentsAsSent(PydanticPayloadConverter):
    """The worker's payload converter: a call of several arguments, which no handler of ours
    takes (the SDK then applies no type hints), is handed over undecoded (``RawValue``) for the
    case to refuse by its count or to read itself (a continued run's two inputs). The SDK would
    otherwise parse every argument inside the activation, where JSON built to be slow to parse
    (a few hundred kilobytes nested 199 deep) took seconds a signal and froze the case."""

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        if type_hints is None and len(payloads) > 1:
            return [RawValue(p) for p in payloads]
        return super().from_payloads(payloads, type_hints)
