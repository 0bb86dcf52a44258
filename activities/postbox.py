"""Delivery: who gets each notice, and sending it once over real SMTP."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from temporalio.exceptions import ApplicationError

from activities.accounting import letter_disclosure
from activities.letters import Letter, correspondent_letter, staff_letter
from activities.relay import send_via_relay
from domain.consultation import Party
from domain.notices import NOTICES, Audience, Notice, NoticeKind, NoticeOutcome, RecipientKind
from domain.tasks import TaskKind
from logs import PII_KEY, activity_logger
from settings import Settings
from store.disclosures import DisclosureLog, Recipient
from store.ledger import NoticeLedger


@dataclass(frozen=True)
class Delivery:
    kind: RecipientKind
    address: str | None
    letter: Letter
    discloses: bool
    name: str = ""


def message_id(case_id: str, event_key: str, recipient: RecipientKind) -> str:
    """Deterministic per case, event and recipient: the same notice has the same Message-ID."""
    return f"<{case_id}.{event_key}.{recipient.value.lower()}@icr.case-review>"


class Postbox:
    def __init__(
        self, settings: Settings, ledger: NoticeLedger, accounting: DisclosureLog | None = None
    ) -> None:
        """``accounting``: where each letter to a correspondent is accounted for (the store)."""
        self._settings = settings
        self._ledger = ledger
        self._accounting = accounting

    def mailbox_of(self, notice: Notice) -> tuple[RecipientKind, str]:
        """The ICE mailbox a staff notice goes to."""
        s = self._settings
        party = notice.party
        if notice.kind is NoticeKind.ESCALATION:
            return RecipientKind.SUPERVISOR, s.supervisor_mailbox or s.mailbox("icr-supervisors")
        if party is Party.ICE_ATTORNEYS:
            return RecipientKind.ICE_ATTORNEYS, s.attorneys_mailbox or s.mailbox("ice-attorneys")
        if notice.kind is NoticeKind.REMINDER and notice.task_kind is TaskKind.DETERMINATION:
            return RecipientKind.SRO, s.sro_mailbox or s.mailbox("ice-case-review")
        return RecipientKind.FIELD_OFFICE, s.mailbox(notice.field_office.mailbox_local_part)

    def deliveries(self, notice: Notice) -> list[Delivery]:
        rule = NOTICES[notice.kind]
        if rule.audience is Audience.STAFF:
            kind, address = self.mailbox_of(notice)
            return [Delivery(kind, address, staff_letter(notice), notice.brief is not None)]
        return [
            Delivery(
                to.kind,
                to.email,
                correspondent_letter(notice, to),
                to.may_receive_case_information and rule.disclosure_purpose is not None,
                to.name,
            )
            for to in notice.to
        ]

    async def deliver(self, notice: Notice) -> NoticeOutcome:
        """Send each letter of the notice unless the ledger says it already left."""
        outcome = NoticeOutcome()
        names = [to.name for to in notice.to] + (
            [notice.brief.subject_name] if notice.brief else []
        )
        log = activity_logger(__name__).bind(
            case_id=notice.case_id, notice=notice.kind, **{PII_KEY: names}
        )
        for delivery in self.deliveries(notice):
            if delivery.address is None:
                outcome.withheld.append(delivery.kind)
                log.warning(
                    "notice.withheld", reason="no e-mail address on file", recipient=delivery.kind
                )
                continue
            mid = message_id(notice.case_id, notice.event_key, delivery.kind)
            if await self._ledger.was_sent(mid):
                outcome.already_sent.append(delivery.kind)
            else:
                await self._send(delivery, mid)
                await self._ledger.mark_sent(mid)
                outcome.delivered.append(delivery.kind)
                log.info("notice.sent", recipient=delivery.kind, message=_fingerprint(mid))
            if self._accounting is not None and NOTICES[notice.kind].audience is not Audience.STAFF:
                await self._account(notice, delivery, mid)
            if delivery.discloses:  # sent now or by an earlier attempt: disclosed either way
                outcome.disclosed.append(delivery.kind)
        return outcome

    async def _account(self, notice: Notice, delivery: Delivery, mid: str) -> None:
        assert self._accounting is not None and delivery.address is not None
        recipient = Recipient(kind=delivery.kind, name=delivery.name, address=delivery.address)
        await self._accounting.record(
            letter_disclosure(
                notice,
                message_id=mid,
                recipient=recipient,
                subject=delivery.letter.subject,
                body=delivery.letter.body,
                at=datetime.now(UTC),
            )
        )

    async def _send(self, delivery: Delivery, mid: str) -> None:
        assert delivery.address is not None
        s = self._settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = delivery.address
        message["Subject"] = delivery.letter.subject
        message["Message-ID"] = mid
        message["Date"] = formatdate(usegmt=True)
        message.set_content(delivery.letter.body)
        try:
            await send_via_relay(s, message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _permanent(f"recipient {delivery.kind} refused", exc) from None
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise _permanent(f"SMTP {exc.code} for {delivery.kind}", exc) from None
            raise _transient(f"SMTP {exc.code} for {delivery.kind}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Server down or unreachable: retry with backoff. The SMTP library's own text may
            # quote addresses, so only its class name leaves this function.
            raise _transient(f"SMTP unavailable ({type(exc).__name__})") from None


def _permanent(reason: str, exc: Exception) -> ApplicationError:
    """A 5xx answer will not change on retry: fail this notice, visibly, and only it."""
    activity_logger(__name__).error("notice.failed", reason=reason, error=type(exc).__name__)
    return ApplicationError(reason, type="PermanentDeliveryFailure", non_retryable=True)


def _transient(reason: str) -> ApplicationError:
    return ApplicationError(reason, type="TransientDeliveryFailure")


def _fingerprint(mid: str) -> str:
    """A short stable reference to a message for logs (the Message-ID holds no PII either)."""
    return hashlib.sha256(mid.encode()).hexdigest()[:12]
