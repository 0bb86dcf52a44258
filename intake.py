"""Starting a case: the Python function behind ``starter.py submit``.

Idempotent on ``request_id``: the id maps to one workflow ID, the server refuses a second
workflow with it, and a keyed fingerprint of the content in the memo tells a harmless repeat
from a conflicting one. A run that the case refused at its start (an outsider's unsigned start
under the same id) does not hold the id: the real submitter waits for it to fail, then starts.
"""

import asyncio
import hashlib
import hmac

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.case_id import case_id_for_request, new_case_id
from domain.identity import subject_key
from domain.inquiry import Submission
from domain.stage import ENTRY_STAGE
from domain.starting import INVALID_SUBMISSION
from settings import Settings, plain
from workflows import search_attributes as search
from workflows.case_review import CaseReviewWorkflow
from workflows.details import STATIC_DETAILS, static_summary

FINGERPRINT_MEMO = "submission_fingerprint"
SQUAT_WAIT_SECONDS = 10


class Submitted(BaseModel):
    case_id: str
    workflow_id: str
    run_id: str
    created: bool


class SubmissionConflict(Exception):
    """The request_id is already taken by a case with different content."""


def fingerprint(submission: Submission, secret: str) -> str:
    canonical = submission.model_dump_json().encode()
    return hmac.new(secret.encode(), b"submission:" + canonical, hashlib.sha256).hexdigest()


async def submit(client: Client, submission: Submission, settings: Settings) -> Submitted:
    request_id = submission.request_id
    secret = plain(settings.subject_key_secret)
    case_id = case_id_for_request(request_id, secret) if request_id else new_case_id()
    print_ = fingerprint(submission, secret)
    for _ in range(2):
        try:
            return await _start(client, case_id, submission, settings, print_)
        except WorkflowAlreadyStartedError:
            if request_id is None:
                raise
        description = await client.get_workflow_handle(case_id).describe()
        if await description.memo_value(FINGERPRINT_MEMO, default=None) == print_:
            return Submitted(
                case_id=case_id, workflow_id=case_id, run_id=description.run_id, created=False
            )
        if not await _squatted(client, case_id, description):
            break
    raise SubmissionConflict(
        f"request_id {request_id!r} already belongs to case {case_id} with different content"
    )


async def _squatted(
    client: Client, case_id: str, description: WorkflowExecutionDescription
) -> bool:
    """Whether the id is held by someone else's start that the case refuses (an unsigned
    start from a raw client): it fails within moments, and then the id is free to take. It may
    have failed already, between our start and this look: then it is just as free."""
    if description.status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.FAILED):
        return False
    try:
        await asyncio.wait_for(
            client.get_workflow_handle(case_id, run_id=description.run_id).result(),
            SQUAT_WAIT_SECONDS,
        )
    except WorkflowFailureError as exc:
        cause = exc.cause
        return isinstance(cause, ApplicationError) and cause.type == INVALID_SUBMISSION
    except Exception:  # still running after the wait, or ended otherwise: a real case
        return False
    return False


async def _start(
    client: Client, case_id: str, submission: Submission, settings: Settings, print_: str
) -> Submitted:
    stage = ENTRY_STAGE[submission.entry]
    handle = await client.start_workflow(
        CaseReviewWorkflow.run,
        submission,
        id=case_id,
        task_queue=settings.task_queue,
        # A run that failed never opened a case (a refused start): its id may be taken again;
        # a case that opened is never started twice (the case checks its earlier runs too).
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search.CASE_STAGE, stage.value),
                SearchAttributePair(search.FIELD_OFFICE, submission.field_office.value),
                SearchAttributePair(search.DETAINED, submission.detained),
                SearchAttributePair(
                    search.SUBJECT_KEY,
                    subject_key(submission.subject.a_number, plain(settings.subject_key_secret)),
                ),
            ]
        ),
        memo={FINGERPRINT_MEMO: print_},
        static_summary=static_summary(
            case_id, submission.entry, submission.field_office, submission.detained
        ),
        static_details=STATIC_DETAILS,
    )
    return Submitted(
        case_id=case_id,
        workflow_id=case_id,
        run_id=handle.first_execution_run_id or "",
        created=True,
    )
