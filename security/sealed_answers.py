"""Query answers a reader may believe: sealed by a key holder and bound to the queried case.

A raw client can start a run under a case id on a queue of its own and answer the ``status``
and ``whose_address`` queries from its own worker; the client codec passes plaintext through
(``security.codec``), so such an answer would read like the case's. Readers that act on an
answer (document reading, the mail gateway's desk) decode through this wrapper instead: each
answer payload must arrive encrypted and name, in its authenticated outer metadata, the very
case that was asked; the wrapped codec then decrypts it under that binding. Anything else is
refused with ``UnsealedAnswer``.
"""

from collections.abc import Sequence
from typing import Self

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

from security.codec import ENCODING, bound_case, case_of


class UnsealedAnswer(ValueError):
    """The answer was not sealed by a key holder for the case that was asked."""


class SealedAnswers(PayloadCodec, WithSerializationContext):
    """Wraps the client's codec; encodes as it does, decodes only bound, sealed payloads."""

    def __init__(self, inner: PayloadCodec | None, case_id: str | None = None) -> None:
        self._inner = inner
        self._case_id = case_id

    def with_context(self, context: SerializationContext) -> Self:
        inner = self._inner
        if isinstance(inner, WithSerializationContext):
            inner = inner.with_context(context)
        return type(self)(inner, case_of(context))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads) if self._inner is None else await self._inner.encode(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                raise UnsealedAnswer("the answer is not sealed")
            if self._case_id is None or bound_case(payload) != self._case_id:
                raise UnsealedAnswer("the answer is not bound to the case asked")
        if self._inner is None:
            raise UnsealedAnswer("no key to open the answer")
        return await self._inner.decode(payloads)
