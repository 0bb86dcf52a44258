"""structlog setup: JSON lines in production, a readable console in development.

Log calls carry identifiers only (case_id, workflow and run ids, activity, attempt); the subject's
data never belongs in a log line, and ``redact`` is the net under that rule.
"""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_A_NUMBER = re.compile(r"\bA[-\s]?\d{3}[-\s]?\d{3}[-\s]?\d{1,3}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{8,}\d")


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask A-numbers, e-mail addresses and phone numbers that reached a log call anyway."""
    for key, value in event.items():
        if isinstance(value, str):
            value = _A_NUMBER.sub("[A-NUMBER]", value)
            value = _EMAIL.sub("[EMAIL]", value)
            event[key] = _PHONE.sub("[PHONE]", value)
    return event


def configure(fmt: str = "console", level: str = "INFO") -> None:
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
