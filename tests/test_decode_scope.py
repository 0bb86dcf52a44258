"""``/decode`` reads a case for those its rule allows, from the case the payload is bound to:
national roles every case, field-office staff their own offices'; the others get the payload
back still encrypted. A payload copied into another case no longer decrypts there; payloads
sealed before binding still decode. On the real dev server and the session's codec server."""

import asyncio
import json

import aiohttp
import pytest
from structlog.testing import capture_logs
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RawValue

from clients import DATA_CONVERTER
from domain.case_id import new_case_id
from security import configured
from security.codec import CASE_ID, ENCODING, EncryptionCodec, bound_case
from settings import Settings
from tests.conftest import TOKENS
from tests.support import eventually, start_case, status_of, submission, wait_stage
from tests.test_codec_server import as_json, from_json
from worker import Workers

pytestmark = pytest.mark.usefixtures("worker")


async def decode(codec_server: str, who: str, payloads: list[Payload]) -> list[Payload]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{codec_server}/decode",
            json={"payloads": [as_json(p) for p in payloads]},
            headers={"Authorization": f"Bearer {TOKENS[who]}"},
        ) as answer,
    ):
        assert answer.status == 200, await answer.text()
        return [from_json(p) for p in (await answer.json())["payloads"]]


async def start_input(client: Client, case_id: str) -> Payload:
    history = await client.get_workflow_handle(case_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    return started.input.payloads[0]


async def test_decode_follows_role_and_field_office(
    client: Client, settings: Settings, codec_server: str
) -> None:
    handle = await start_case(client, settings, submission(field_office="NEW_YORK_CITY"))
    await wait_stage(handle, "LOCAL_REVIEW")
    sealed = await start_input(client, handle.id)
    assert bound_case(sealed) == handle.id, "the start input is bound to its case"
    with capture_logs() as logs:
        for who in ("sro.one", "supervisor.one", "fo.1"):  # fo.1 holds every office
            [read] = await decode(codec_server, who, [sealed])
            assert read.metadata["encoding"] == b"json/plain" and b"Maria" in read.data, who
        [kept] = await decode(codec_server, "fo.boston", [sealed])
    assert kept == sealed, "another office's staff get it back still encrypted"
    refused = [e for e in logs if e["event"] == "security.decode_refused"]
    assert [(e["staff_id"], e["case_id"]) for e in refused] == [("fo.boston", handle.id)]
    decoded = [e for e in logs if e["event"] == "codec.decoded"]
    assert {e["staff_id"] for e in decoded} == {"sro.one", "supervisor.one", "fo.1"}
    assert all(e["case_id"] == handle.id for e in decoded)
    assert "Maria" not in json.dumps([dict(e) for e in refused + decoded], default=str)


async def test_unbound_payloads_still_decode_for_the_national_roles(
    settings: Settings, codec_server: str
) -> None:
    ring = configured.keyring(settings)
    assert ring is not None
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Maria"}')
    old = EncryptionCodec(ring).encrypt(plain)  # sealed before payloads named their case
    assert CASE_ID not in old.metadata
    [read] = await decode(codec_server, "sro.one", [old])
    assert read.data == plain.data
    [kept] = await decode(codec_server, "fo.1", [old])  # its office is unknown
    assert kept.metadata["encoding"] == ENCODING


async def test_a_forged_case_binding_is_refused_whoever_asks(
    client: Client, settings: Settings, codec_server: str
) -> None:
    """Relabelling a payload with a case fo.boston may read does not make it readable."""
    handle = await start_case(client, settings, submission(field_office="NEW_YORK_CITY"))
    boston = await start_case(client, settings, submission(field_office="BOSTON"))
    await wait_stage(boston, "LOCAL_REVIEW")
    moved = Payload()
    moved.CopyFrom(await start_input(client, handle.id))
    moved.metadata[CASE_ID] = boston.id.encode()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{codec_server}/decode",
            json={"payloads": [as_json(moved)]},
            headers={"Authorization": f"Bearer {TOKENS['fo.boston']}"},
        ) as answer,
    ):
        assert answer.status == 400
        assert "Maria" not in await answer.text()


async def test_a_payload_copied_into_another_case_no_longer_decrypts_there(
    client: Client, settings: Settings, worker: Workers
) -> None:
    first = await start_case(client, settings, submission())
    second = await start_case(client, settings, submission())
    await wait_stage(second, "LOCAL_REVIEW")
    copied = await start_input(client, first.id)
    raw = await Client.connect(
        client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )
    # As a decision in another case: refused in words, the case unharmed.
    await raw.get_workflow_handle(second.id).signal("add_note", RawValue(copied))
    status = await eventually(lambda: status_of(second), lambda s: len(s.rejected) == 1)
    assert "could not be decrypted" in status.rejected[0].reason
    # As the start of another case: the squatter's copy opens nothing.
    again = await raw.start_workflow(
        "CaseReviewWorkflow", RawValue(copied), id=new_case_id(), task_queue=settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(client.get_workflow_handle(again.id).result(), 20)
    assert "the payload could not be decrypted" in str(failed.value.cause)
