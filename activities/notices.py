"""The notice activities, one per event of the contract's notice table.

Each is idempotent through the ledger and a deterministic Message-ID: retrying one, or running
it again after a worker died, never mails twice.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from activities.postbox import Postbox
from domain.notices import Notice, NoticeKind, NoticeOutcome
from domain.policy import DeadlinePolicy
from domain.staff import StaffSnapshot
from security.directory import StaffDirectory
from settings import Settings


class NoticeActivities:
    def __init__(self, postbox: Postbox) -> None:
        self._postbox = postbox

    async def _deliver(self, notice: Notice, *kinds: NoticeKind) -> NoticeOutcome:
        if notice.kind not in kinds:
            raise ValueError(f"{activity.info().activity_type} cannot send a {notice.kind} notice")
        return await self._postbox.deliver(notice)

    @activity.defn(name="notify_field_office")
    async def notify_field_office(self, notice: Notice) -> NoticeOutcome:
        """Local review: the field office learns of a new case."""
        return await self._deliver(notice, NoticeKind.CASE_OPENED)

    @activity.defn(name="notify_local_response")
    async def notify_local_response(self, notice: Notice) -> NoticeOutcome:
        return await self._deliver(notice, NoticeKind.LOCAL_RESPONSE)

    @activity.defn(name="acknowledge_sro_inquiry")
    async def acknowledge_sro_inquiry(self, notice: Notice) -> NoticeOutcome:
        """SRO submission: the requestor learns the inquiry arrived."""
        return await self._deliver(notice, NoticeKind.INQUIRY_RECEIVED)

    @activity.defn(name="request_missing_information")
    async def request_missing_information(self, notice: Notice) -> NoticeOutcome:
        return await self._deliver(notice, NoticeKind.INFORMATION_MISSING)

    @activity.defn(name="request_consultation")
    async def request_consultation(self, notice: Notice) -> NoticeOutcome:
        """Coordination: the field office's or the attorneys' mailbox gets the question."""
        return await self._deliver(notice, NoticeKind.CONSULTATION_REQUESTED)

    @activity.defn(name="send_determination_notice")
    async def send_determination_notice(self, notice: Notice) -> NoticeOutcome:
        return await self._deliver(notice, NoticeKind.DETERMINATION)

    @activity.defn(name="send_deadline_notice")
    async def send_deadline_notice(self, notice: Notice) -> NoticeOutcome:
        """Reminders to whoever a case waits for, then escalations to the supervisor."""
        return await self._deliver(notice, NoticeKind.REMINDER, NoticeKind.ESCALATION)

    @activity.defn(name="notify_withdrawal")
    async def notify_withdrawal(self, notice: Notice) -> NoticeOutcome:
        """The requestor learns the case was closed as withdrawn (added with a patch)."""
        return await self._deliver(notice, NoticeKind.WITHDRAWN)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.notify_field_office,
            self.notify_local_response,
            self.acknowledge_sro_inquiry,
            self.request_missing_information,
            self.request_consultation,
            self.send_determination_notice,
            self.send_deadline_notice,
            self.notify_withdrawal,
        ]


class PolicyActivities:
    """Worker settings a case captures as local activities, so replay never rereads them."""

    def __init__(self, settings: Settings, directory: StaffDirectory | None) -> None:
        self._settings = settings
        self._directory = directory

    @activity.defn(name="load_deadline_policy")
    async def load_deadline_policy(self) -> DeadlinePolicy:
        return self._settings.deadline_policy()

    @activity.defn(name="load_staff_directory")
    async def load_staff_directory(self) -> StaffSnapshot | None:
        """None when no directory is configured (development: any actor is accepted)."""
        if self._directory is None:
            return None
        return StaffSnapshot(
            members=self._directory.members(),
            loaded_at=datetime.now(UTC),
            refresh_minutes=self._settings.directory_refresh_minutes,
        )
