"""A client's codec that is the codec server: staff tools encode and decode through it, so what
they send is stamped as the person the token names, and no payload key leaves the server.

Given a serialization context whose workflow id is a case id, it names that case to ``/encode``
(``X-Case-Id``), so a start is sealed for the case it opens and counts in no other."""

import copy
from collections.abc import Sequence
from typing import Any, Self

import aiohttp
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

from security.codec import CASE_HEADER, case_of


class CodecServerError(RuntimeError):
    """The codec server refused or could not be reached; the message says which."""


class RemoteCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, endpoint: str, token: str, case_id: str | None = None) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._token = token
        self._case_id = case_id

    def with_context(self, context: SerializationContext) -> Self:
        bound = copy.copy(self)
        bound._case_id = case_of(context)
        return bound

    async def _call(self, path: str, payloads: Sequence[Payload]) -> list[Payload]:
        body = json_format.MessageToDict(Payloads(payloads=payloads))
        headers = {"Authorization": f"Bearer {self._token}"}
        if self._case_id is not None and path == "/encode":
            headers[CASE_HEADER] = self._case_id
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                session.post(self._endpoint + path, json=body, headers=headers) as response,
            ):
                answer: Any = await response.json(content_type=None)
                if response.status != 200:
                    error = answer.get("error") if isinstance(answer, dict) else None
                    raise CodecServerError(f"codec server {path}: {response.status} {error or ''}")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise CodecServerError(f"codec server {path}: {type(exc).__name__}") from None
        return list(json_format.ParseDict(answer, Payloads()).payloads)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._call("/encode", payloads) if payloads else []

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._call("/decode", payloads) if payloads else []
