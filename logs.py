"""structlog setup: JSON lines in production, a readable console in development.

Log calls carry identifiers only (case_id, workflow and run ids, activity, attempt); the subject's
data never belongs in a log line, and ``redact`` is the net under that rule: it masks A-numbers,
e-mail addresses and phone numbers by pattern, and the names a logger was bound with under
``PII_KEY`` (names have no pattern), wherever they appear.
"""

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

PII_KEY = "_pii"
"""Bind ``PII_KEY=[names…]`` on a logger: those strings are masked and the key never printed."""

_A_NUMBER = re.compile(r"\bA[-\s]?\d{3}[-\s]?\d{3}[-\s]?\d{1,3}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d\s().-]{7,}\d(?![\w:/-])")
"""A candidate; ``_phone`` masks 9 to 15 digits that are not a date (a bare A-number has 9; ISO
timestamps, run ids and addresses have their own shapes and stay readable)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    if not 9 <= digits <= 15 or _DATE.search(text):
        return text
    return "[PHONE]"


def _mask(value: str, names: Iterable[str]) -> str:
    for name in names:
        if name:
            value = re.sub(re.escape(name), "[NAME]", value, flags=re.IGNORECASE)
    value = _A_NUMBER.sub("[A-NUMBER]", value)
    value = _EMAIL.sub("[EMAIL]", value)
    return _PHONE.sub(_phone, value)


def _scrub(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        return _mask(value, names)
    if isinstance(value, dict):
        return {k: _scrub(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, names) for v in value]
    return value


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask PII that reached a log call anyway, in every value, nested ones included."""
    names = sorted((str(n) for n in event.pop(PII_KEY, None) or () if n), key=len, reverse=True)
    for key in list(event):
        event[key] = _scrub(event[key], names)
    return event


def configure(fmt: str = "console", level: str = "INFO", stream: Any = None) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def activity_logger(name: str) -> Any:
    """A logger bound to the running activity: case, workflow, run, activity and attempt."""
    from temporalio import activity

    log = structlog.get_logger(name)
    if not activity.in_activity():
        return log
    info = activity.info()
    return log.bind(
        case_id=info.workflow_id,
        workflow_id=info.workflow_id,
        run_id=info.workflow_run_id,
        activity=info.activity_type,
        attempt=info.attempt,
    )
