"""The caseload commands' arguments: the filters ``list``, ``count`` and the bulk commands share,
each checked as it is parsed so a bad value is named before anything is asked of Temporal."""

import argparse
from datetime import UTC, datetime

from domain.field_office import FieldOffice
from domain.stage import Stage


def when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def filter_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--office", choices=[o.value for o in FieldOffice], metavar="FIELD_OFFICE")
    p.add_argument("--reviewer", help="assigned reviewer id")
    p.add_argument("--detained", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--overdue", action="store_true", help="open, NextDeadline in the past")
    p.add_argument("--closed-since", type=when, metavar="DATE", help="closed at or after")
    p.add_argument("--problems", action="store_true", help="only cases whose task keeps failing")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return int(value)
