"""``/decode`` trusts a case's field office only from a run that is the case itself: a run of
another type, on another queue, or one refused at once proves nothing. The outsider's attack:
after a case closed, a raw client starts a schedule's workflow under the case id naming another
office. On the real dev server and the session's codec server."""

import asyncio
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from clients import DATA_CONVERTER
from codec_server.decode_scope import CaseOffices
from settings import Settings
from tests.support import start_case, submission, wait_stage
from tests.test_decode_scope import decode, start_input
from workflows import search_attributes as search

pytestmark = pytest.mark.usefixtures("worker")


async def raw_client(client: Client) -> Client:
    return await Client.connect(
        client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )


def boston() -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(search.FIELD_OFFICE, "BOSTON")])


@pytest.mark.parametrize("job", ["BacklogReportWorkflow", "ReminderRoundWorkflow"])
async def test_a_schedule_workflow_under_a_case_id_fails_and_reads_nothing(
    client: Client, settings: Settings, codec_server: str, job: str
) -> None:
    handle = await start_case(client, settings, submission(field_office="NEW_YORK_CITY"))
    await wait_stage(handle, "LOCAL_REVIEW")
    sealed = await start_input(client, handle.id)
    await handle.terminate("closed for the test")
    raw = await raw_client(client)
    fake = await raw.start_workflow(
        job, id=handle.id, task_queue=settings.task_queue, search_attributes=boston()
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(client.get_workflow_handle(fake.id).result(), 20)
    assert "runs only when Schedule" in str(failed.value.cause)
    [kept] = await decode(codec_server, "fo.boston", [sealed])
    assert kept == sealed, "a Boston officer gets the New York case back still encrypted"
    [read] = await decode(codec_server, "sro.one", [sealed])  # a national role reads any case
    assert b"Maria" in read.data


async def test_a_case_run_on_another_queue_names_no_office(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission(field_office="NEW_YORK_CITY"))
    await wait_stage(handle, "LOCAL_REVIEW")
    await handle.terminate("closed for the test")
    offices = CaseOffices(lambda: raw_client(client), settings.task_queue)
    assert await offices.office(handle.id) == "NEW_YORK_CITY"  # the case itself: trusted
    other = CaseOffices(lambda: raw_client(client), settings.task_queue)
    raw = await raw_client(client)
    fake: Any = await raw.start_workflow(
        "CaseReviewWorkflow", id=handle.id, task_queue="nobody-polls", search_attributes=boston()
    )
    assert await other.office(fake.id) is None
    await fake.terminate("done")
