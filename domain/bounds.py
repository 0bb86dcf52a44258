"""Bounds on what a case carries: its logs keep their newest entries and count the rest.

A case lives for months and anyone may signal it; without bounds a flood of refused signals
or notes would grow the case file until continue-as-new could no longer carry it (a payload
is limited to 512 KiB here). The limits leave room: a full case file is a few hundred kilobytes.
"""

from typing import TypeVar

T = TypeVar("T")

MAX_HISTORY = 1000
MAX_REFUSED = 100
MAX_NOTICES = 500
MAX_NOTES = 200
MAX_APPLIED = 500
MAX_REASON = 500
MAX_ROUNDS = 60
MAX_DOCUMENTS = 100
"""Documents one case holds; more are refused (the mail goes to triage, its bytes stay stored)."""
MAX_DOCUMENT_READS = 100
"""Reads a case keeps (the newest); the store's access log keeps every read."""
MAX_CONSULTATIONS = 10
"""Consultations one case holds (each keeps its question and answer for good); more are
refused: coordination with the field office and ICE attorneys takes a few."""
KEPT_TEXT_BYTES = 192_000
"""What a case keeps for good and never trims (its submission, consultations, documents,
disclosures, the staff directory...) stays under this, half the carrying limit: a decision
that would add text past it is refused, so the trimmed logs always make the file fit."""
CARRY_LIMIT_BYTES = 384_000
"""Checked before continue-as-new: past it the logs are halved until the file fits. With the
submission beside it, the carried input stays under the server's payload limit (512 KiB,
``workflows.server_limits``)."""


def keep_newest(items: list[T], limit: int) -> tuple[list[T], int]:
    """The newest ``limit`` items, and how many older ones were dropped."""
    if len(items) <= limit:
        return items, 0
    if limit <= 0:  # items[-0:] would be all of them
        return [], len(items)
    return items[-limit:], len(items) - limit
