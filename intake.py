"""Starting a case: the Python function behind ``starter.py submit``.

Idempotent on ``request_id``: the id maps to one workflow ID, the server refuses a second
workflow with it, and a keyed fingerprint of the content in the memo tells a harmless repeat
from a conflicting one.
"""

import hashlib
import hmac

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.case_id import case_id_for_request, new_case_id
from domain.identity import subject_key
from domain.inquiry import Submission
from domain.stage import ENTRY_STAGE
from settings import Settings, plain
from workflows import search_attributes as search
from workflows.case_review import CaseReviewWorkflow
from workflows.details import STATIC_DETAILS, static_summary

FINGERPRINT_MEMO = "submission_fingerprint"


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
    case_id = case_id_for_request(request_id) if request_id else new_case_id()
    stage = ENTRY_STAGE[submission.entry]
    print_ = fingerprint(submission, plain(settings.subject_key_secret))
    try:
        handle = await client.start_workflow(
            CaseReviewWorkflow.run,
            submission,
            id=case_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search.CASE_STAGE, stage.value),
                    SearchAttributePair(search.FIELD_OFFICE, submission.field_office.value),
                    SearchAttributePair(search.DETAINED, submission.detained),
                    SearchAttributePair(
                        search.SUBJECT_KEY,
                        subject_key(
                            submission.subject.a_number, plain(settings.subject_key_secret)
                        ),
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
    except WorkflowAlreadyStartedError:
        if request_id is None:
            raise
    description = await client.get_workflow_handle(case_id).describe()
    if await description.memo_value(FINGERPRINT_MEMO, default=None) != print_:
        raise SubmissionConflict(
            f"request_id {request_id!r} already belongs to case {case_id} with different content"
        ) from None
    return Submitted(case_id=case_id, workflow_id=case_id, run_id=description.run_id, created=False)
