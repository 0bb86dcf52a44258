"""The desk's placeholders: the words staff replace with their own text, and the check that
none is left in a decision.

Each is one word of capitals, digits and underscores, because the UI's Data box (CodeMirror)
selects exactly such a word on a double-click and never the quotes around it: "double-click it
and type" then leaves valid JSON. A decision still holding one is refused with the fields named,
so a body sent before it was filled in never lands as a note that reads ``WRITE_HERE``.
"""

from collections.abc import Iterable
from typing import Any

WRITE = "WRITE_HERE"
"""Where staff write their own text."""
WRITE_DATE = "WRITE_YYYY_MM_DD"
"""Where staff write a date, as 1990-01-31 (a hyphen would end the double-clicked word)."""
PLACEHOLDERS = frozenset({WRITE, WRITE_DATE})


def left_in(payload: Any, fields: Iterable[str]) -> list[str]:
    """The ``fields`` of ``payload`` (a decision's raw body) that still hold a placeholder, at
    the top or one level down (``authorization``'s ``document_ref``), as deep as a desk body
    goes. Only the model's own field names are returned: a key a sender invented is never
    quoted back (it could hold Markdown or personal data)."""
    if not isinstance(payload, dict):
        return []
    return [name for name in fields if _holds(payload.get(name), depth=1)]


def _holds(value: Any, depth: int) -> bool:
    if isinstance(value, str):
        return value in PLACEHOLDERS
    if isinstance(value, dict) and depth > 0:
        return any(_holds(v, depth - 1) for v in list(value.values())[:64])
    return False
