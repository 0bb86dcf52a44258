"""Reading a case's start input, whatever a client sent.

A case starts with one submission. Only the case's own continue-as-new adds a second input,
the case file it carries; from anyone else a carried file would be a forged case (back-dated
history, a directory switched off), so it is refused, as is any other count of inputs.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from domain.case_file import CaseFile
from domain.case_id import is_case_id
from domain.errors import refusal_reason
from domain.inquiry import Submission

INVALID_SUBMISSION = "InvalidSubmission"
"""The failure type of a start that did not open a case (public: clients match on it)."""
UNREADABLE_FIELD = "icr_unreadable"
"""The field of the worker's marker for a payload it could not read (security.readable)."""


@dataclass(frozen=True)
class Started:
    submission: Submission
    carried: CaseFile | None = None


def envelope_problem(args: tuple[Any, ...], case_id: str, *, continued: bool) -> str | None:
    """Why the start cannot even be read (its id, its count of inputs, a payload the worker
    could not decrypt or parse), in words that repeat nothing of the input; None when it can."""
    if not is_case_id(case_id):
        return "the workflow id is not a case id (ICR- and 12 characters; use starter.py submit)"
    if len(args) not in (1, 2):
        return f"a case starts with one submission; {len(args)} inputs arrived"
    unreadable = [
        a[UNREADABLE_FIELD] for a in args if isinstance(a, dict) and UNREADABLE_FIELD in a
    ]
    if unreadable:
        return f"invalid submission: {unreadable[0]}"
    if len(args) == 2 and not continued:
        return "a case file is carried only by the case's own continue-as-new"
    return None


def read_start(args: tuple[Any, ...], case_id: str, *, continued: bool) -> Started | str:
    """The submission (and a continued case's file), or why the case cannot start."""
    problem = envelope_problem(args, case_id, continued=continued)
    if problem is not None:
        return problem
    try:
        submission = Submission.model_validate(args[0])
    except ValidationError as exc:
        return refusal_reason(exc, frozenset(Submission.model_fields)).replace(
            "invalid fields", "invalid submission", 1
        )
    if len(args) == 1:
        return Started(submission)
    try:
        carried = CaseFile.model_validate(args[1])
    except ValidationError:
        return "the carried case file is not valid"
    if carried.case_id != case_id:
        return "the carried case file belongs to another case"
    return Started(submission, carried)
