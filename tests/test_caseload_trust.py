"""Bulk jobs act only on the workers' own cases, and one case that never answers is that
case's refusal, not the end of the round: a raw client's fake case on a queue nobody polls
(the outsider's attack) on the real dev server."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from caseload.bulk import _act, reminder_round
from caseload.queries import CaseFilter, find_cases
from settings import Settings
from tests.support import own_namespace, start_case, submission, wait_stage
from worker import build_worker
from workflows import search_attributes as search

NAMESPACE = "bulk-trust"
NOBODY_POLLS = "nobody-polls"


@pytest_asyncio.fixture(scope="module")
async def fake_and_real(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, Settings, WorkflowHandle[Any, Any], WorkflowHandle[Any, Any]]]:
    client, own = await own_namespace(env, settings, NAMESPACE)
    async with build_worker(client, own):
        real = await start_case(client, own, submission())
        await wait_stage(real, "LOCAL_REVIEW")
        fake = await client.start_workflow(
            "CaseReviewWorkflow",
            id="ICR-0000FAKE0004",
            task_queue=NOBODY_POLLS,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(search.CASE_STAGE, "SRO_REVIEW")]
            ),
        )
        yield client, own, real, fake


async def test_a_fake_case_on_another_queue_is_left_out_of_the_round(
    fake_and_real: tuple[Client, Settings, WorkflowHandle[Any, Any], WorkflowHandle[Any, Any]],
) -> None:
    client, settings, real, fake = fake_and_real
    everything = {wf.id for wf in await find_cases(client, CaseFilter(running_only=True))}
    assert fake.id in everything  # visible to a plain listing, so the filter is what helps
    changes = await reminder_round(
        client, CaseFilter(), "sup.lead1", task_queue=settings.task_queue, dry_run=False
    )
    assert [(c.case_id, c.outcome) for c in changes] == [(real.id, "applied")], changes


async def test_a_case_that_never_answers_is_refused_by_its_own_deadline(
    fake_and_real: tuple[Client, Settings, WorkflowHandle[Any, Any], WorkflowHandle[Any, Any]],
) -> None:
    client, _, _, fake = fake_and_real
    change = await _act(
        client,
        fake.id,
        "send_reminders",
        ("send_reminders", {"decision_id": "reminders:test"}),
        skip_because=None,
        dry_run=False,
        answer_within=timedelta(seconds=2),
    )
    assert change.outcome == "rejected" and "no answer within 2s" in change.detail, change


@pytest.mark.parametrize("queue", ["", "x' OR WorkflowType != '", "a b"])
def test_a_task_queue_cannot_break_out_of_the_query(queue: str) -> None:
    with pytest.raises(ValueError, match="task queue"):
        CaseFilter(task_queue=queue).query()


def test_the_task_queue_narrows_the_query() -> None:
    assert "TaskQueue = 'case-review'" in CaseFilter(task_queue="case-review").query()
