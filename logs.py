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
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+")
"""Matched only from the start of a run of address characters: tried from every position of
a long run, the pattern took time quadratic in its length (20,000 characters, a second)."""
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d\s().-]{7,32}\d(?![\w:/-])")
"""A candidate; ``_phone`` masks 9 to 15 digits that are not a date (a bare A-number has 9; ISO
timestamps, run ids and addresses have their own shapes and stay readable). At most 35
characters, so a long run of digits and spaces costs linear time, not quadratic."""
MASKED_WINDOW = 64 * 1024
VALUE_KEPT = 2000
"""Characters of one logged string kept (masked first, in time linear in its length): a value
can carry a sender's text of any length."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    if not 9 <= digits <= 15 or _DATE.search(text):
        return text
    return "[PHONE]"


def _mask(value: str, names: Iterable[str]) -> str:
    """The patterns first: a name masked inside an address (``maria.[NAME]@…``) would leave
    the rest of the address unmatched, and shown."""
    value = _A_NUMBER.sub("[A-NUMBER]", value)
    value = _EMAIL.sub("[EMAIL]", value)
    value = _PHONE.sub(_phone, value)
    for name in names:
        if name:
            value = re.sub(re.escape(name), "[NAME]", value, flags=re.IGNORECASE)
    return value


def _scrub(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        # Masked, then cut: cut first, an address could be halved and no longer match. Only
        # a window is masked (linear, but a sender's megabytes would still cost a second).
        masked = _mask(value[:MASKED_WINDOW], names)
        if len(value) <= MASKED_WINDOW and len(masked) <= VALUE_KEPT:
            return masked
        return f"{masked[:VALUE_KEPT]}… ({len(value)} characters in all)"
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


def temporal_context(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """The SDK's own lines carry their context in ``temporal_workflow`` / ``temporal_activity``
    dicts: lift it into the same keys our lines use (case_id first), so one filter finds both."""
    found = event.pop("temporal_activity", None) or event.pop("temporal_workflow", None)
    if isinstance(found, dict):
        event.setdefault("case_id", found.get("workflow_id"))
        event.setdefault("workflow_id", found.get("workflow_id"))
        event.setdefault("run_id", found.get("run_id") or found.get("workflow_run_id"))
        for key in ("workflow_type", "activity_type", "attempt"):
            if key in found:
                event.setdefault(key, found[key])
    event.pop("temporal_log", None)  # the core's raw record; its text is the message already
    return event


def configure(fmt: str = "console", level: str = "INFO", stream: Any = None) -> None:
    """structlog for our own lines, and the same processors and renderer for every standard
    ``logging`` record (the Temporal SDK's Python logger and the core's forwarded lines), so
    that with ``ICR_LOG_FORMAT=json`` each line of the process is one JSON object."""
    out = stream or sys.stderr
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.processors.add_log_level,
                structlog.stdlib.ExtraAdder(),
                temporal_context,
                stamp,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Other libraries speak at WARNING and up (their DEBUG lines can quote mail or payloads);
    # the SDK at the configured level, INFO at the least (its DEBUG lines carry task tokens).
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger("temporalio").setLevel(max(numeric, logging.INFO))


_HANDLER = "icr-structlog"


def activity_logger(name: str) -> Any:
    """A logger bound to the running activity: case, workflow, run, activity and attempt."""
    from temporalio import activity

    if not structlog.is_configured():  # embedded without configure(): still never print PII
        configure()
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
