"""Rejection messages that name the field and the rule."""

from pydantic import ValidationError


def describe(exc: ValidationError) -> list[str]:
    """One line per problem: ``path: rule``."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in error["loc"]) or "payload"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {message}")
    return lines
