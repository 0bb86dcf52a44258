"""The tests' staff desk: every payload a test sends is stamped as its ``actor`` says, with the
tests' own stamp key (the one the test workers accept), and names its case, as the codec server
and the desk's templates do for real staff. Nothing else in the tests gets past verification."""

import dataclasses
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from clients import DATA_CONVERTER
from security import configured, stamp
from security.codec import EncryptionCodec
from security.signing import StampKeys
from settings import Settings
from workflows.refusals import EncryptedStaffFailureConverter

DEFAULT_SIGNER = "intake.one"
Clock = Callable[[], Awaitable[datetime]]


async def wall_clock() -> datetime:
    return datetime.now(UTC)


def stamp_key_file(folder: Path) -> Path:
    path = folder / "stamp-keys.json"
    StampKeys.generate(path, "test-s1")
    return path


def _signer_and_body(payload: Payload, default: str) -> tuple[str, dict[str, Any] | None]:
    try:
        value = json.loads(payload.data)
    except ValueError:
        return default, None
    if isinstance(value, dict) and isinstance(value.get("actor"), dict):
        actor_id = value["actor"].get("id")
        return (actor_id if isinstance(actor_id, str) and actor_id else default), value
    return default, None


class DeskCodec(PayloadCodec, WithSerializationContext):
    def __init__(
        self,
        encryption: EncryptionCodec,
        keys: StampKeys,
        clock: Clock,
        case_id: str | None = None,
        default_signer: str = DEFAULT_SIGNER,
    ) -> None:
        self._encryption = encryption
        self._keys = keys
        self._clock = clock
        self._case_id = case_id
        self._default = default_signer

    def with_context(self, context: SerializationContext) -> Self:
        case_id = context.workflow_id if isinstance(context, WorkflowSerializationContext) else None
        encryption = self._encryption.with_context(context)
        return type(self)(encryption, self._keys, self._clock, case_id, self._default)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        now = await self._clock()
        out = []
        for payload in payloads:
            signer, body = _signer_and_body(payload, self._default)
            if body is not None and "case_id" not in body and self._case_id:
                body["case_id"] = self._case_id
                payload = Payload(metadata=dict(payload.metadata), data=json.dumps(body).encode())
            key_id = self._keys.current
            signed = stamp.sign(payload, signer, key_id, self._keys.keys[key_id], now=now)
            out.append(signed)
        return await self._encryption.encode(out)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._encryption.decode(payloads)


def staff_converter(
    settings: Settings, clock: Clock = wall_clock, default_signer: str = DEFAULT_SIGNER
) -> DataConverter:
    """The converter of a test client that acts as staff (and as the integrating system);
    a body without an actor (a submission) is signed as ``default_signer``."""
    keys, stamp_keys = configured.keyring(settings), configured.stamp_keys(settings)
    assert keys is not None and stamp_keys is not None, "tests run with keys"
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=DeskCodec(
            EncryptionCodec(keys), stamp_keys, clock, default_signer=default_signer
        ),
        failure_converter_class=EncryptedStaffFailureConverter,
    )
