"""Automatic replies of the mailbox: what an inquiry lacks, which attachments were refused.

A reply names labels and types only, never a value the mail held: its From may be forged, and
the reply must tell a stranger nothing. Each reply leaves once (the notice ledger), and none
goes to a null sender or to a mail that was itself automatic, so two robots cannot loop.
"""

import hashlib
from email.message import EmailMessage
from email.utils import formatdate

import structlog

from activities.catalogues import key_of, words
from activities.relay import send_via_relay
from domain.language import DEFAULT_LANGUAGE, Language
from mailroom.labels import LABELS, SPANISH
from mailroom.letter import ALLOWED, MAX_ATTACHMENTS, Letter, Refused
from settings import Settings
from store.ledger import NoticeLedger
from store.senders import SenderRate

log = structlog.get_logger("icr.mailroom")
_KINDS = {
    "application/pdf": "kind.pdf",
    "image/png": "kind.png",
    "image/jpeg": "kind.jpeg",
    "image/gif": "kind.gif",
    "image/tiff": "kind.tiff",
    "text/plain": "kind.text",
}
"""Each accepted type's name in the catalogues (``kind.other`` for any other)."""
assert set(_KINDS) == set(ALLOWED), "keep _KINDS and the catalogues' reply.types in step"
_TOO_MANY = f"more than {MAX_ATTACHMENTS} attachments"


def label_in(language: Language, label: str) -> str:
    """A template label as the reader's template writes it."""
    return SPANISH.get(label, label) if language is Language.ES else label


def problem_in(language: Language, problem: str) -> str:
    """A missing or invalid item (``Label`` or ``Label: reason``) in the reader's language."""
    if key := key_of(problem, "problem."):
        return words(language, key)
    label, colon, reason = problem.partition(": ")
    key = key_of(reason, "problem.")
    return label_in(language, label) + colon + (words(language, key) if key else reason)


def _reason_in(language: Language, reason: str) -> str:
    if reason == _TOO_MANY:
        return words(language, "reason.too_many", count=MAX_ATTACHMENTS)
    key = key_of(reason, "reason.")
    return words(language, key) if key else reason


#: automatic replies one address receives per sender window: forged mail in a victim's name
#: cannot turn the mailbox into a cannon aimed at that victim (F10)
REPLIES_PER_WINDOW = 3


class Answers:
    def __init__(
        self, settings: Settings, ledger: NoticeLedger, senders: SenderRate | None = None
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._senders = senders

    async def incomplete(
        self,
        letter: Letter,
        key: str,
        missing: list[str],
        invalid: list[str],
        language: Language = DEFAULT_LANGUAGE,
    ) -> bool:
        items = "\n".join(f"- {problem_in(language, item)}" for item in [*missing, *invalid])
        template = "\n".join(f"{label_in(language, label)}: " for label in LABELS)
        body = words(language, "reply.incomplete.body", items=items, template=template)
        return await self._send(letter, key, "incomplete", language, body)

    async def refused(
        self,
        letter: Letter,
        key: str,
        refused: list[Refused],
        language: Language = DEFAULT_LANGUAGE,
    ) -> bool:
        # Named from a fixed list, never the type a stranger wrote (backscatter carries none)
        items = "\n".join(
            "- "
            + words(
                language,
                "reply.refused.item",
                kind=words(language, _KINDS.get(r.content_type, "kind.other")),
                reason=_reason_in(language, r.reason),
            )
            for r in refused[:30]
        )
        if len(refused) > 30:
            items += "\n- " + words(language, "reply.refused.more", count=len(refused) - 30)
        types = words(language, "reply.types")
        body = words(language, "reply.refused.body", items=items, types=types)
        return await self._send(letter, key, "refused", language, body)

    async def _send(
        self, letter: Letter, key: str, kind: str, language: Language, text: str
    ) -> bool:
        if letter.sender is None or letter.auto_submitted:
            return False
        digest = hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:24]
        mid = f"<reply.{kind}.{digest}@icr.case-review>"
        if await self._ledger.was_sent(mid):
            return True
        if self._senders is not None and not await self._senders.take(
            "reply:" + letter.sender, REPLIES_PER_WINDOW
        ):
            log.warning("mailroom.reply_over_rate", reply=kind)
            return False
        s = self._settings
        message = EmailMessage()
        message["From"] = s.inquiry_mailbox
        message["To"] = letter.sender
        message["Subject"] = words(language, f"reply.{kind}.subject")
        message["Message-ID"] = mid
        message["Date"] = formatdate(usegmt=True)
        message["Auto-Submitted"] = "auto-replied"
        if letter.message_id:
            message["In-Reply-To"] = letter.message_id
        note, signature = words(language, "reply.note"), words(language, "reply.signature")
        message.set_content(f"{note}\n\n{text}\n\n{signature}")
        await send_via_relay(s, message, sender="")  # bounces of a reply go nowhere
        await self._ledger.mark_sent(mid)
        log.info("mailroom.replied", reply=kind, message=digest[:12])
        return True
