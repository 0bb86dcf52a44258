"""Refusal texts that name the field and the rule.

Two audiences: the starter's own user gets every problem of their file, named; a case's
refusal (a signal's reason is kept in the case and shown in the UI) is bounded to a few lines
and never quotes a key the sender invented (it could hold Markdown, a link or personal data).
"""

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_PROBLEMS = 3
MAX_REASON = 500


def describe(exc: ValidationError) -> list[str]:
    """One line per problem: ``path: rule`` (for the sender's own terminal)."""
    return [_line(error["loc"], error["msg"]) for error in _errors(exc)]


def refusal_reason(exc: ValidationError, fields: frozenset[str]) -> str:
    """``invalid fields: …`` with at most ``MAX_PROBLEMS`` problems among ``fields`` (the
    model's own), a count of the rest, and a count of keys that are not fields at all."""
    named: list[str] = []
    unknown = 0
    for error in _errors(exc):
        loc = error["loc"]
        if error["type"] == "extra_forbidden" or (loc and loc[0] not in fields):
            unknown += 1
        else:
            named.append(_line(loc, error["msg"]))
    lines = named[:MAX_PROBLEMS]
    if len(named) > MAX_PROBLEMS:
        lines.append(f"{len(named) - MAX_PROBLEMS} more")
    if unknown:
        lines.append(f"{unknown} unknown field(s); allowed: {', '.join(sorted(fields))}")
    return ("invalid fields: " + "; ".join(lines))[:MAX_REASON]


def _errors(exc: ValidationError) -> list[ErrorDetails]:
    return exc.errors(include_url=False, include_input=False, include_context=False)


def _line(loc: tuple[int | str, ...], msg: str) -> str:
    path = ".".join(str(part) for part in loc) or "payload"
    return f"{path}: {msg.removeprefix('Value error, ')}"[:200]
