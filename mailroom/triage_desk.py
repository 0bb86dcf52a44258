"""Intake staff's side of triage: ``starter.py triage list|show|assign``.

``show`` opens the sealed mail for the person at the terminal (it holds personal data, so it is
printed, never logged); ``assign`` attaches it to a case as that person, through the same path
as a correspondent's reply, and drops the stored mail.
"""

import json
import unicodedata
from typing import Any

from clients import connect
from domain.roles import Actor, Role
from mailroom.answers import Answers
from mailroom.desk import CaseDesk, NoSuchCase
from mailroom.letter import UnreadableMail, read_letter
from mailroom.sorting import DocumentsRefused, Sorter
from settings import Settings
from store.inbox import InboxMessage
from store.shared import Store


class TriageError(Exception):
    """An unknown item, or one already assigned; the message says which."""


async def list_items(settings: Settings, *, everything: bool) -> list[dict[str, Any]]:
    store = await Store.open(settings)
    try:
        items = await store.triage.list(open_only=not everything)
    finally:
        await store.close()
    return [i.model_dump(mode="json", exclude={"message_key"}) for i in items]


async def show_item(settings: Settings, item_id: str) -> str:
    store = await Store.open(settings)
    try:
        item = await store.triage.get(item_id)
        raw = None if item is None else await store.inbox.raw(item.message_key)
    finally:
        await store.close()
    if item is None or raw is None:
        raise TriageError(f"no triage item {item_id!r} with a stored message")
    try:
        letter = read_letter(raw)
    except Exception as exc:  # UnreadableMail, or whatever else a stranger's bytes cause
        why = str(exc) if isinstance(exc, UnreadableMail) else type(exc).__name__
        return f"Item:      {item.item_id} ({item.state}; {item.reason})\nUnreadable: {why}"
    lines = [
        f"Item:      {item.item_id} ({item.state}; {item.reason})",
        f"Received:  {item.received_at:%Y-%m-%d %H:%M} UTC",
        f"From:      {one_line(letter.sender or '(none or several)')}",
        f"Subject:   {one_line(letter.subject)}",
        f"Cases:     {', '.join(letter.case_ids) or '(none named)'}",
        "Attached:  "
        + (", ".join(f"{a.content_type} ({len(a.data)} bytes)" for a in letter.attachments) or "-"),
    ]
    if letter.refused:
        lines.append(
            "Refused:   " + ", ".join(f"{r.content_type} ({r.reason})" for r in letter.refused)
        )
    body = [f"| {line}" for line in letter.text.strip().splitlines()]  # never a header's look
    return escaped("\n".join([*lines, "", "Text (as the sender wrote it):", *body]))


FIELD_WIDTH = 64
"""A header value's room on an 80-column terminal after its label: padded to wrap, a stranger's
Subject drew fake ``From:`` and ``Cases:`` lines under the real ones."""


def one_line(value: str) -> str:
    """A stranger's header value on one short line: runs of white space as one space, cut
    with the count of what was left out."""
    flat = " ".join(value.split())
    if len(flat) <= FIELD_WIDTH:
        return flat
    return f"{flat[: FIELD_WIDTH - 20]}… ({len(flat) - FIELD_WIDTH + 20} more characters)"


def escaped(text: str) -> str:
    """What a stranger wrote, safe on a terminal: control and format characters (escape
    sequences, bidi overrides, clipboard writes) shown as ``\\u....``; lines and tabs kept."""
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in _HIDDEN else f"\\u{ord(ch):04x}"
        for ch in text
    )


_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


async def assign_item(settings: Settings, item_id: str, case_id: str, staff_id: str) -> str:
    """Attach the mail to the case as ``staff_id`` (an INTAKE member of the directory)."""
    store = await Store.open(settings)
    try:
        item = await store.triage.get(item_id)
        raw = None if item is None else await store.inbox.raw(item.message_key)
        if item is None or raw is None or item.state != "open":
            raise TriageError(f"triage item {item_id!r} is not open")
        desk = CaseDesk(settings, lambda: connect(settings), Actor(id=staff_id, role=Role.INTAKE))
        sorter = Sorter(store, desk, Answers(settings, store.ledger))
        message = InboxMessage(item.message_key, item.received_at, 0, raw)
        try:
            letter = read_letter(raw)
        except Exception as exc:
            raise TriageError(f"the stored mail cannot be read ({type(exc).__name__})") from None
        try:
            outcome = await sorter.attach(message, letter, case_id, source="TRIAGE")
        except NoSuchCase:
            raise TriageError(f"case {case_id} is closed or unknown") from None
        except DocumentsRefused as exc:
            raise TriageError(f"case {case_id}: {exc}; the item stays open") from None
        await store.triage.assign(item_id, case_id, staff_id)
        await store.inbox.settle(item.message_key, f"assigned {case_id} by triage")
    finally:
        await store.close()
    return outcome


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
