"""Who decided is proven, not claimed: attacks on the stamp, each tried as a signal (recorded in
``status.rejected``, the case unharmed) and as an update (refused by its validator, nothing in
the history), on the real dev server with a worker of its own whose directory is reread at once.
"""

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue

from clients import DATA_CONVERTER
from domain.inquiry import Submission
from domain.roles import Role
from domain.staff import StaffMember, StaffSnapshot
from domain.stamps import LIMIT, SeenStamps
from intake import submit
from security import configured, stamp
from security.codec import EncryptionCodec
from security.remote_codec import RemoteCodec
from security.signing import public_b64
from settings import Settings
from tests.conftest import TOKENS
from tests.support import eventually, represented, status_of, wait_stage
from worker import build_worker
from workflows.signatures import check_stamp

QUEUE = "signed-decisions"
STAFF = [
    {"id": "fo.1", "roles": ["FIELD_OFFICE"], "field_offices": ["NEW_YORK_CITY"]},
    {"id": "sro.one", "roles": ["SRO"]},
    {"id": "sro.x", "roles": ["SRO"]},
    {"id": "sro.gone", "roles": ["SRO"]},
    {"id": "intake.one", "roles": ["INTAKE"]},
    {"id": "sup.lead1", "roles": ["SUPERVISOR", "INTAKE"]},
]
DETERMINE = {"finding": "MEETS_PRIORITIES", "rationale": "Forged"}


@pytest_asyncio.fixture(scope="module")
async def signed(
    client: Client, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Settings, Path, Client]]:
    """A worker whose directory copy is at most a second old, and a raw client: no key, no
    token, what an outsider with network access to Temporal has."""
    directory = tmp_path_factory.mktemp("signed") / "staff.json"
    directory.write_text(json.dumps({"staff": STAFF}))
    own = settings.model_copy(
        update={
            "task_queue": QUEUE,
            "staff_directory": directory,
            "directory_refresh_minutes": 1 / 60,
        }
    )
    raw = await Client.connect(
        client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )
    async with build_worker(client, own):
        yield own, directory, raw


async def sro_case(client: Client, settings: Settings) -> WorkflowHandle[Any, Any]:
    started = await submit(client, Submission.model_validate(represented()), settings)
    handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(started.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    return handle


def sealed(
    settings: Settings,
    body: Any,
    signer: str,
    *,
    at: datetime | None = None,
    key: tuple[str, Ed25519PrivateKey] | None = None,
    tamper: bool = False,
) -> Payload:
    """A decision as the codec server would seal it (or, with the options, almost)."""
    keys, ring = configured.stamp_keys(settings), configured.keyring(settings)
    assert keys is not None and ring is not None
    key_id, private = key or (keys.current, keys.keys[keys.current])
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(body).encode())
    signed = stamp.sign(plain, signer, key_id, private, now=at)
    if tamper:
        signed.data = signed.data.replace(b"MEETS_PRIORITIES", b"DOES_NOT_MEET_PRIORITIES")
    return EncryptionCodec(ring).encrypt(signed)


async def refused_both(
    raw: Client, handle: WorkflowHandle[Any, Any], name: str, payload: Payload, reason: str
) -> None:
    """Refused as an update (nothing recorded) and as a signal (in status.rejected)."""
    before = await status_of(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await raw.get_workflow_handle(handle.id).execute_update(name, RawValue(payload))
    assert reason in str(refused.value.cause), refused.value.cause
    await raw.get_workflow_handle(handle.id).signal(name, RawValue(payload))
    after = await eventually(
        lambda: status_of(handle), lambda s: len(s.rejected) > len(before.rejected)
    )
    assert reason in after.rejected[-1].reason
    assert (after.stage, after.history) == (before.stage, before.history), "case unharmed"


async def test_a_forged_actor_from_a_raw_client_is_refused(
    client: Client, signed: tuple[Settings, Path, Client]
) -> None:
    """The issue's attack: no key, no token, a determination claiming the SRO."""
    settings, _, raw = signed
    handle = await sro_case(client, settings)
    forged = {"actor": {"id": "sro.one", "role": "SRO"}, **DETERMINE}
    plain = DATA_CONVERTER.payload_converter.to_payload(forged)
    await refused_both(raw, handle, "record_determination", plain, "the decision is not signed")
    # Even with the payload key (an insider), sealing is not signing.
    ring = configured.keyring(settings)
    assert ring is not None
    unsigned = EncryptionCodec(ring).encrypt(plain)
    await refused_both(raw, handle, "record_determination", unsigned, "is not signed")
    # A stamp made up in clear metadata does not count either.
    claimed = Payload()
    claimed.CopyFrom(plain)
    claimed.metadata[stamp.SIGNER] = b"sro.one"
    claimed.metadata["icr-stamp-sealed"] = b"k1"
    await refused_both(raw, handle, "record_determination", claimed, "is not signed")
    assert (await status_of(handle)).stage == "SRO_REVIEW"
    await handle.terminate("test done")


async def test_tokens_cannot_claim_someone_else(
    client: Client, signed: tuple[Settings, Path, Client], codec_server: str
) -> None:
    """Through the real codec server: the token names the person, whatever the body says."""
    settings, _, _ = signed
    handle = await sro_case(client, settings)
    as_fo = await Client.connect(
        client.service_client.config.target_host,
        data_converter=dataclasses.replace(
            DATA_CONVERTER, payload_codec=RemoteCodec(codec_server, TOKENS["fo.1"])
        ),
    )
    fo = as_fo.get_workflow_handle(handle.id)
    claiming = {"actor": {"id": "sro.one", "role": "SRO"}, "case_id": handle.id, **DETERMINE}
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fo.execute_update("record_determination", claiming)
    assert "actor is not the person who signed it" in str(refused.value.cause)
    # The field officer's own token, the SRO's decision: the role is not theirs.
    for body, reason in (
        ({"case_id": handle.id, **DETERMINE}, "you hold no role that may record_determination"),
        (
            {"actor": {"id": "fo.1", "role": "SRO"}, "case_id": handle.id, **DETERMINE},
            "staff fo.1 does not hold role SRO",
        ),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await fo.execute_update("record_determination", body)
        assert reason in str(refused.value.cause)
        await fo.signal("record_determination", body)
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) >= 2)
    assert status.stage == "SRO_REVIEW" and status.history == []
    # The SRO's own token, no actor typed: the role is inferred and the case closes.
    as_sro = await Client.connect(
        client.service_client.config.target_host,
        data_converter=dataclasses.replace(
            DATA_CONVERTER, payload_codec=RemoteCodec(codec_server, TOKENS["sro.one"])
        ),
    )
    done = await as_sro.get_workflow_handle(handle.id).execute_update(
        "record_determination", {"case_id": handle.id, **DETERMINE}
    )
    assert done["stage"] == "CLOSED"
    entry = done["history"][-1]
    assert entry["actor"] == {"id": "sro.one", "role": "SRO"}


async def test_a_stamp_counts_once_and_only_in_its_case(
    client: Client, signed: tuple[Settings, Path, Client]
) -> None:
    settings, _, raw = signed
    first, second = await sro_case(client, settings), await sro_case(client, settings)
    note = sealed(settings, {"case_id": first.id, "text": "Called."}, "sro.one")
    await raw.get_workflow_handle(first.id).signal("add_note", RawValue(note))
    status = await eventually(lambda: status_of(first), lambda s: len(s.history) == 1)
    assert status.history[0].actor.id == "sro.one"
    await refused_both(raw, first, "add_note", note, "already received")
    await refused_both(raw, second, "add_note", note, "names another case")
    missing = sealed(settings, {"text": "Called."}, "sro.one")
    await refused_both(raw, first, "add_note", missing, "case_id is required")
    for h in (first, second):
        await h.terminate("test done")


async def test_a_refusal_under_a_valid_stamp_names_its_signer_and_a_copy_names_nobody(
    client: Client, signed: tuple[Settings, Path, Client]
) -> None:
    """Who tried is proven by the stamp, whatever the reason of the refusal; a copy of the same
    sealed payload, taken out of the history, is refused as used and names nobody."""
    settings, _, raw = signed
    handle = await sro_case(client, settings)
    body = {"case_id": handle.id, "finding": "MEETS_PRIORITIES", "rationale": "r"}
    wrong_role = sealed(settings, body, "fo.1")  # a field officer's determination
    outsider = raw.get_workflow_handle(handle.id)
    await outsider.signal("record_determination", RawValue(wrong_role))
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 1)
    refused = status.rejected[0]
    print(f"\nrefused, signer named: {refused.model_dump_json()}")
    assert refused.actor is not None and refused.actor.id == "fo.1", refused
    assert refused.actor.role == "FIELD_OFFICE" and "no role that may" in refused.reason
    for name in ("record_determination", "withdraw", "add_note"):  # the copy, under any name
        await outsider.signal(name, RawValue(wrong_role))
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 4)
    for copy in status.rejected[1:]:
        assert copy.actor is None and "already received" in copy.reason, copy
    print(f"a copy of it: {status.rejected[1].model_dump_json()}")
    unsigned = {"case_id": handle.id, "actor": {"id": "fo.1", "role": "FIELD_OFFICE"}, "text": "x"}
    await raw.get_workflow_handle(handle.id).signal("add_note", unsigned)
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 5)
    assert status.rejected[-1].actor is None, "an unsigned claim names nobody"
    assert "not signed" in status.rejected[-1].reason
    await handle.terminate("test done")


async def test_expired_unknown_key_tampered_and_removed_are_refused(
    client: Client, signed: tuple[Settings, Path, Client]
) -> None:
    settings, directory, raw = signed
    handle = await sro_case(client, settings)
    body = {"case_id": handle.id, **DETERMINE}
    old = datetime.now(UTC) - timedelta(hours=settings.stamp_freshness_hours + 1)
    expired = sealed(settings, body, "sro.one", at=old)
    await refused_both(raw, handle, "record_determination", expired, "signature has expired")
    stranger_key = ("test-s1", Ed25519PrivateKey.generate())  # the right id, the wrong key
    forged = sealed(settings, body, "sro.one", key=stranger_key)
    await refused_both(raw, handle, "record_determination", forged, "does not match")
    unknown = sealed(settings, body, "sro.one", key=("s-old", Ed25519PrivateKey.generate()))
    await refused_both(raw, handle, "record_determination", unknown, "key the workers do not")
    tampered = sealed(settings, body, "sro.one", tamper=True)
    await refused_both(raw, handle, "record_determination", tampered, "does not match")

    # Removed from the directory a moment ago: the case rereads it before judging.
    gone = {"case_id": handle.id, "text": "still here?"}
    await raw.get_workflow_handle(handle.id).signal(
        "add_note", RawValue(sealed(settings, gone, "sro.gone"))
    )
    await eventually(lambda: status_of(handle), lambda s: len(s.history) == 1)
    directory.write_text(json.dumps({"staff": [m for m in STAFF if m["id"] != "sro.gone"]}))
    await asyncio.sleep(1.5)  # longer ago than the worker's refresh interval (one second)
    try:
        await refused_both(
            raw,
            handle,
            "add_note",
            sealed(settings, gone, "sro.gone"),
            "not signed by anyone in the staff directory",
        )
    finally:
        directory.write_text(json.dumps({"staff": STAFF}))
    await handle.terminate("test done")


async def test_reviewers_hold_sro_and_only_the_assigned_one_decides(
    client: Client, signed: tuple[Settings, Path, Client]
) -> None:
    settings, _, _ = signed
    handle = await sro_case(client, settings)
    sup = {"id": "sup.lead1", "role": "SUPERVISOR"}
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("assign_reviewer", {"actor": sup, "reviewer_id": "fo.1"})
    assert "the reviewer must be a person holding the SRO role" in str(refused.value.cause)
    assert "FIELD_OFFICE" not in str(refused.value.cause), "no one else's roles are told"
    assign = {"actor": sup, "reviewer_id": "sro.x", "decision_id": "a-1"}
    await handle.execute_update("assign_reviewer", assign)
    # The same decision_id from someone who may not assign is checked, not answered.
    again = {"actor": {"id": "fo.1", "role": "FIELD_OFFICE"}, "reviewer_id": "sro.x"}
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("assign_reviewer", {**again, "decision_id": "a-1"})
    assert "may not assign_reviewer" in str(refused.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "record_determination", {"actor": {"id": "sro.one", "role": "SRO"}, **DETERMINE}
        )
    assert "only the case's assigned reviewer or a supervisor" in str(refused.value.cause)
    done = await handle.execute_update(
        "record_determination", {"actor": {"id": "sro.x", "role": "SRO"}, **DETERMINE}
    )
    assert done["stage"] == "CLOSED"


def test_rotation_accepts_every_listed_key_and_drops_the_rotated_out() -> None:
    """Two public keys during a rotation; once the old one is removed, its stamps fail."""
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    member = StaffMember(id="sro.one", roles=[Role.SRO])
    now = datetime.now(UTC).replace(microsecond=0)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"{}")

    def snapshot(keys: dict[str, Ed25519PrivateKey]) -> StaffSnapshot:
        stamp_keys = {k: public_b64(v) for k, v in keys.items()}
        return StaffSnapshot(members={"sro.one": member}, loaded_at=now, stamp_keys=stamp_keys)

    def sealed_by(key_id: str, key: Ed25519PrivateKey) -> Payload:
        p = stamp.sign(plain, "sro.one", key_id, key, now=now)
        p.metadata["icr-stamp-sealed"] = b"k1"  # as the worker's codec marks a decrypted one
        return p

    during = snapshot({"s1": old, "s2": new})
    for key_id, key in (("s1", old), ("s2", new)):
        verdict = check_stamp(sealed_by(key_id, key), during, SeenStamps(), now)
        assert isinstance(verdict, tuple) and verdict[0].id == "sro.one"
    after = snapshot({"s2": new})
    refused = check_stamp(sealed_by("s1", old), after, SeenStamps(), now)
    assert not isinstance(refused, tuple) and "rotated out" in refused.reason


def test_nonce_memory_is_bounded() -> None:
    seen = SeenStamps()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fresh = timedelta(days=365)
    for i in range(5000):
        seen.remember(f"{i:032x}", start + timedelta(seconds=i), start, fresh)
    assert len(seen.nonces) <= LIMIT
    assert seen.refusal(f"{5:032x}", start + timedelta(seconds=5)) is not None, "too old now"
    assert seen.refusal(f"{4999:032x}", start + timedelta(seconds=4999)) is not None, "seen"
    assert seen.refusal("f" * 32, start + timedelta(seconds=6000)) is None
    # Expired ones go first: a case that sees few decisions keeps no old ones.
    quiet = SeenStamps()
    for i in range(LIMIT + 1):
        quiet.remember(f"{i:032x}", start, start + timedelta(days=i // 500), timedelta(days=1))
    assert len(quiet.nonces) < LIMIT and quiet.floor is None
