"""Sorting the inbox: each stored mail becomes a reply to a case, a new case, or triage.

Runs apart from the SMTP conversation, so a mail is accepted while Temporal is down and
applied when it is back. Applying is idempotent (the case's request_id and every decision_id
derive from the mail's key), so a mail applied again after a crash changes nothing twice.
"""

import asyncio
import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

import structlog

from domain.decisions import CONTACT_ITEMS
from domain.inquiry import AuthorizationForm
from domain.language import Language
from mailroom.answers import Answers
from mailroom.desk import CaseDesk, CaseUnavailable, DecisionRefused, NoSuchCase
from mailroom.labels import FORM_LABEL, REPRESENTATIVE
from mailroom.letter import Attachment, Letter, UnreadableMail, sender_verified
from mailroom.reading import Reader, ReadingTooLong
from mailroom.template import (
    information_from,
    language_of,
    read_fields,
    read_inquiry,
)
from store.documents import StoredDocument
from store.inbox import InboxMessage
from store.shared import Store

log = structlog.get_logger("icr.mailroom")
LEASE = timedelta(minutes=2)
GIVE_UP_AFTER_ATTEMPTS = 50  # then a person looks at it (triage), it is never dropped
_FORM_HINTS = ("G-28", "G28", "60-001", "60001")


@dataclass(frozen=True)
class Filed:
    """An attachment stored, and the kind it was given."""

    document: StoredDocument
    kind: str  # G-28 | ICE-60-001 | OTHER


class DocumentsRefused(Exception):
    """The case holds all the documents it may (``domain.bounds.MAX_DOCUMENTS``): a person
    decides what to do with the mail; its attachments stay stored, nothing is lost."""


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _form_kind(attachment: Attachment, said: str) -> str:
    hint = (said + " " + attachment.filename).upper()
    if not any(h in hint for h in _FORM_HINTS) or attachment.content_type == "text/plain":
        return "OTHER"
    return "ICE-60-001" if "60-001" in hint or "60001" in hint else "G-28"


class Sorter:
    def __init__(
        self,
        store: Store,
        desk: CaseDesk,
        answers: Answers,
        retry_base: float = 5.0,
        authserv_id: str | None = None,
        reader: Reader | None = None,
        *,
        authserv_trusted: bool = True,
    ) -> None:
        """``authserv_id``: the relay's authserv-id, whose DMARC pass alone proves a reply's
        sender (none: no reply is proven); ``authserv_trusted``: whether only relays connect
        (else no header proves anything)."""
        self._authserv_id = authserv_id
        self._authserv_trusted = authserv_trusted
        self._reader = reader or Reader(20.0)
        #: when the mail being sorted was claimed (monotonic), None when idle: the health check
        self.busy_since: float | None = None
        self._store = store
        self._desk = desk
        self._answers = answers
        self._retry_base = retry_base

    async def run(self, wake: asyncio.Event) -> None:
        """Sort until cancelled; ``wake`` is set when the front door stores a mail."""
        while True:
            try:
                message = await self._store.inbox.claim(LEASE)
            except Exception as exc:  # the store is down: keep sorting once it is back
                log.error("mailroom.store_unavailable", error=type(exc).__name__)
                message = None
            if message is None:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=self._retry_base)
                continue
            self.busy_since = time.monotonic()
            try:
                await self.sort(message)
            except Exception as exc:  # not settled: its lease runs out and it comes again
                log.error("mailroom.sort_interrupted", error=type(exc).__name__)
            finally:
                self.busy_since = None

    def sender_proven(self, raw: bytes) -> bool:
        """Whether a relay we trust says DMARC passed for the From domain. Nothing else proves
        a sender: with no authserv-id (development, tests) or no relays to trust, no reply is
        proven, so no reply changes a case; its attachments wait in triage for the desk."""
        return bool(
            self._authserv_id and self._authserv_trusted and sender_verified(raw, self._authserv_id)
        )

    def stuck(self, allowed: float) -> bool:
        """Whether one mail has been sorting for longer than ``allowed`` seconds."""
        since = self.busy_since
        return since is not None and time.monotonic() - since > allowed

    def close(self) -> None:
        self._reader.close()

    async def sort(self, message: InboxMessage) -> str:
        """Apply one mail; the outcome (no personal data) is kept in the inbox."""
        key = message.message_key
        mlog = log.bind(message=_short(key)[:12], attempt=message.attempts)
        mlog.info("mailroom.claimed", size=len(message.raw))
        try:
            outcome, keep = await self._apply(message)
        except CaseUnavailable as exc:
            delay = min(self._retry_base * 2 ** min(message.attempts, 8), 300.0)
            mlog.warning("mailroom.deferred", reason=str(exc), retry_in_seconds=delay)
            await self._store.inbox.retry_later(key, timedelta(seconds=delay))
            return "deferred"
        except Exception as exc:
            if message.attempts < GIVE_UP_AFTER_ATTEMPTS:
                mlog.error("mailroom.failed", error=type(exc).__name__)
                delay = min(self._retry_base * 2 ** min(message.attempts, 8), 300.0)
                await self._store.inbox.retry_later(key, timedelta(seconds=delay))
                return "deferred"
            outcome, keep = await self._triage(message, "could not be applied"), True
        await self._store.inbox.settle(key, outcome, keep=keep)
        mlog.info("mailroom.sorted", outcome=outcome)
        return outcome

    async def _apply(self, message: InboxMessage) -> tuple[str, bool]:
        try:  # in a child process under a deadline: the SMTP loop runs on whatever the mail
            letter, fields = await self._reader.read(message.raw)
        except ReadingTooLong:
            return await self._triage(message, "took too long to read"), True
        except UnreadableMail:
            return await self._triage(message, "unreadable"), True
        if letter.case_ids:
            if not self.sender_proven(message.raw):  # its From may be anyone's: a person looks
                return await self._triage(message, "sender not verified by the relay"), True
            return await self._reply(message, letter, fields)
        if not fields:
            return await self._triage(message, "no case reference and no inquiry fields"), True
        return await self._inquiry(message, letter, fields), False

    async def _triage(self, message: InboxMessage, reason: str) -> str:
        item = await self._store.triage.add(message.message_key, reason, message.received_at)
        return f"triage {item}"

    async def _file(self, letter: Letter, said: str) -> list[Filed]:
        """Store every attachment; the first that is a form (by label or name) is the form."""
        filed: list[Filed] = []
        for attachment in letter.attachments:
            kind = _form_kind(attachment, said)
            if any(f.kind != "OTHER" for f in filed):
                kind = "OTHER"
            stored = await self._store.documents.put(attachment.data, attachment.content_type)
            filed.append(Filed(stored, kind))
        return filed

    async def _hand_over(
        self, case_id: str, message: InboxMessage, filed: list[Filed], source: str
    ) -> None:  # source: a DocumentSource value
        """The case records what came: references only, once per mail."""
        if not filed:
            return
        refs = [
            {
                "document_id": f.document.document_id,
                "kind": f.kind,
                "content_type": f.document.content_type,
                "size": f.document.size,
                "sha256": f.document.sha256,
                "received_at": message.received_at.isoformat(),
                "source": source,
            }
            for f in filed
        ]
        decision_id = f"mail-{_short(message.message_key)}-documents"
        ids = [f.document.document_id for f in filed]
        new = [i for i in ids if not await self._store.documents.filed_to(case_id, i)]
        await self._store.documents.refer(case_id, ids)
        try:
            await self._desk.receive_documents(case_id, source, refs, decision_id)
        except DecisionRefused as exc:  # the bytes stay stored, not referred to by this case
            log.warning("mailroom.documents_refused", case_id=case_id, reason=str(exc))
            await self._store.documents.unrefer(case_id, new)  # so retention can purge (F12)
            if "takes at most" in str(exc):
                raise DocumentsRefused(str(exc)) from None

    async def _reply(
        self, message: InboxMessage, letter: Letter, fields: dict[str, str]
    ) -> tuple[str, bool]:
        """Attach to the case only when the sender is its requestor or representative."""
        case_id, role = None, None
        for candidate in letter.case_ids[:3]:
            try:
                role = letter.sender and await self._desk.correspondent(candidate, letter.sender)
            except NoSuchCase:
                continue
            if role:
                case_id = candidate
                break
        if case_id is None or role is None:  # a stranger, or no such case: told nothing
            return await self._triage(message, "sender is not a correspondent of the case"), True
        try:
            outcome = await self.attach(message, letter, case_id, source=role, fields=fields)
        except NoSuchCase:  # closed since: a person decides what a late mail means
            return await self._triage(message, "the case is closed"), True
        except DocumentsRefused:
            return await self._triage(message, "the case holds its maximum of documents"), True
        if " contact=held" in outcome:  # the intake desk confirms a new address or phone
            return await self._triage(message, "contact change by mail waits for the desk"), True
        if outcome.endswith(" documents=0"):  # free text, nothing applied: a person reads it
            return await self._triage(message, "a reply with nothing to apply"), True
        return outcome, False

    async def attach(
        self,
        message: InboxMessage,
        letter: Letter,
        case_id: str,
        source: str,
        fields: dict[str, str] | None = None,
    ) -> str:
        """Fields become provide_information, attachments documents (also triage's assign).

        Contact details (e-mail, phone, representative) are never changed by mail alone: from
        the sorter they are held (the outcome says ``contact=held``) and the mail goes to
        triage; only the intake desk's assign (``source="TRIAGE"``) applies them.
        """
        fields = read_fields(letter.text) if fields is None else fields
        filed = await self._file(letter, fields.get(FORM_LABEL, ""))
        info = information_from(fields)
        form = next((f for f in filed if f.kind != "OTHER"), None)
        if form is not None:
            info["authorization"] = {"form": form.kind, "document_ref": form.document.document_id}
        held = [] if source == "TRIAGE" else [k for k in CONTACT_ITEMS if k in info]
        info = {k: v for k, v in info.items() if k not in held}
        outcome = f"attached {case_id} documents={len(filed)}"
        if info:
            suffix = "-info-desk" if source == "TRIAGE" else "-info"
            decision_id = f"mail-{_short(message.message_key)}{suffix}"
            try:
                await self._desk.decide(
                    case_id, "provide_information", {**info, "decision_id": decision_id}
                )
                outcome += " information=applied"
            except DecisionRefused:
                outcome += " information=refused"
        if held:
            outcome += " contact=held"
        await self._hand_over(case_id, message, filed, source=source)
        if letter.refused:
            language = await self._language(case_id, source, language_of(letter.text, fields))
            await self._answers.refused(letter, message.message_key, letter.refused, language)
        return outcome

    async def _language(self, case_id: str, source: str, mail: Language) -> Language:
        """The language the case writes to this correspondent in; the mail's own where the
        case cannot say (the reply must still leave)."""
        try:
            status = await self._desk.status(case_id)
        except (NoSuchCase, CaseUnavailable):
            return mail
        key = "representative_language" if source == "REPRESENTATIVE" else "language"
        code = status.get(key) if isinstance(status, dict) else None
        return Language(code) if code in tuple(Language) else mail

    async def _inquiry(self, message: InboxMessage, letter: Letter, fields: dict[str, str]) -> str:
        represented = any(label in fields for label in REPRESENTATIVE)
        said = fields.get(FORM_LABEL, "") or ("G-28" if represented else "")
        # Read first with a stand-in for the form: mail that opens nothing stores nothing.
        kinds = [_form_kind(a, said) for a in letter.attachments]
        kind = next((k for k in kinds if k != "OTHER"), None)
        language = language_of(letter.text, fields)
        trial = read_inquiry(
            fields,
            f"mail-{_short(message.message_key)}",
            None if kind is None else (AuthorizationForm(kind), "DOC-" + "0" * 24),
            language,
        )
        if trial.submission is None:
            await self._answers.incomplete(
                letter, message.message_key, trial.missing, trial.invalid, language
            )
            return f"incomplete missing={len(trial.missing)} invalid={len(trial.invalid)}"
        filed = await self._file(letter, said)
        form = next((f for f in filed if f.kind != "OTHER"), None)
        request_id = f"mail-{_short(message.message_key)}"
        reading = read_inquiry(
            fields,
            request_id,
            None if form is None else (AuthorizationForm(form.kind), form.document.document_id),
            language,
        )
        if reading.submission is None:
            await self._answers.incomplete(
                letter, message.message_key, reading.missing, reading.invalid, language
            )
            return f"incomplete missing={len(reading.missing)} invalid={len(reading.invalid)}"
        submitted = await self._desk.start_case(reading.submission)
        await self._hand_over(submitted.case_id, message, filed, source="INQUIRY")
        if letter.refused:
            await self._answers.refused(letter, message.message_key, letter.refused, language)
        return f"started {submitted.case_id}"
