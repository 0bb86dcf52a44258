"""Automatic replies of the mailbox: what an inquiry lacks, which attachments were refused.

A reply names labels and types only, never a value the mail held: its From may be forged, and
the reply must tell a stranger nothing. Each reply leaves once (the notice ledger), and none
goes to a null sender or to a mail that was itself automatic, so two robots cannot loop.
"""

import hashlib
from email.message import EmailMessage
from email.utils import formatdate

import structlog

from activities.relay import send_via_relay
from mailroom.letter import ALLOWED, Letter, Refused
from mailroom.template import LABELS
from settings import Settings
from store.ledger import NoticeLedger
from store.senders import SenderRate

log = structlog.get_logger("icr.mailroom")
_SIGNATURE = "\n\nICE Case Review (ICR)\nThis message was sent automatically."
_TYPES = "PDF, PNG, JPEG, GIF or TIFF images, and plain text"
_KINDS = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/tiff": "TIFF image",
    "text/plain": "plain text",
}
assert set(_KINDS) == set(ALLOWED), "keep _TYPES and _KINDS in step with letter.ALLOWED"


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
        self, letter: Letter, key: str, missing: list[str], invalid: list[str]
    ) -> bool:
        items = "\n".join(f"- {item}" for item in [*missing, *invalid])
        template = "\n".join(f"{label}: " for label in LABELS)
        body = (
            "Your inquiry to ICE's Senior Reviewing Official could not be opened as a case: "
            f"these items are missing or not valid:\n{items}\n\nPlease send the inquiry again "
            f"with every item, one labelled line each, for example:\n\n{template}"
        )
        return await self._send(letter, key, "incomplete", "Your SRO inquiry is incomplete", body)

    async def refused(self, letter: Letter, key: str, refused: list[Refused]) -> bool:
        # Named from a fixed list, never the type a stranger wrote (backscatter carries none)
        items = "\n".join(
            f"- an attachment ({_KINDS.get(r.content_type, 'of a type not accepted')}): {r.reason}"
            for r in refused[:30]
        )
        if len(refused) > 30:
            items += f"\n- and {len(refused) - 30} more"
        body = (
            "Some attachments of your message were not accepted:\n"
            f"{items}\n\nThe mailbox accepts {_TYPES}, up to 25 MB in all. Archives (such as "
            "ZIP files) are not opened. Please send the documents again in one of these forms."
        )
        return await self._send(letter, key, "refused", "Attachments not accepted", body)

    async def _send(self, letter: Letter, key: str, kind: str, subject: str, text: str) -> bool:
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
        message["Subject"] = subject
        message["Message-ID"] = mid
        message["Date"] = formatdate(usegmt=True)
        message["Auto-Submitted"] = "auto-replied"
        if letter.message_id:
            message["In-Reply-To"] = letter.message_id
        message.set_content(text + _SIGNATURE)
        await send_via_relay(s, message, sender="")  # bounces of a reply go nowhere
        await self._ledger.mark_sent(mid)
        log.info("mailroom.replied", reply=kind, message=digest[:12])
        return True
