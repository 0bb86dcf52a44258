"""Settings from the environment, as the contract and the README name them."""

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DeadlinePolicy
from domain.errors import describe

if TYPE_CHECKING:
    from security.keys import KeyRing


DEV_KEY_FILE = Path(__file__).resolve().parent / "var" / "payload-keys.json"
DEV_SUBJECT_KEY_SECRET = "dev-only-subject-key-change-me"
MIN_SECRET_LENGTH = 32


_POLICY = DeadlinePolicy()
"""The deadline defaults are the policy's own; each may be set by ``ICR_<NAME>``."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    temporal_address: str = Field("localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    task_queue: str = Field("case-review", validation_alias=_env("ICR_TASK_QUEUE"))

    smtp_host: str = Field("localhost", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_starttls: bool = Field(False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_timeout_seconds: float = Field(20, validation_alias=_env("SMTP_TIMEOUT_SECONDS"))
    mail_from: str = Field("icr-noreply@icr.example", validation_alias=_env("ICR_MAIL_FROM"))
    mailbox_domain: str = Field("icr.example", validation_alias=_env("ICR_MAILBOX_DOMAIN"))
    attorneys_mailbox: str | None = Field(None, validation_alias=_env("ICR_ATTORNEYS_MAILBOX"))
    sro_mailbox: str | None = Field(None, validation_alias=_env("ICR_SRO_MAILBOX"))
    supervisor_mailbox: str | None = Field(None, validation_alias=_env("ICR_SUPERVISOR_MAILBOX"))
    # The shared store (ledger, inbound mail, triage, documents): PostgreSQL when a URL is set,
    # else the SQLite file that once held only the ledger, with documents as files beside it.
    notice_ledger: Path = Field(
        Path("var/notice-ledger.sqlite3"), validation_alias=_env("ICR_NOTICE_LEDGER")
    )
    database_url: str | None = Field(None, validation_alias=_env("ICR_DATABASE_URL"))
    documents_dir: Path = Field(Path("var/documents"), validation_alias=_env("ICR_DOCUMENTS_DIR"))

    inbound_smtp_host: str = Field("127.0.0.1", validation_alias=_env("ICR_INBOUND_SMTP_HOST"))
    inbound_smtp_port: int = Field(2525, validation_alias=_env("ICR_INBOUND_SMTP_PORT"))
    inquiry_mailbox: str = Field(
        "sro-inquiries@icr.example", validation_alias=_env("ICR_INQUIRY_MAILBOX")
    )
    # The authserv-id of the agency's relay: when set, a reply is attached only if the relay's
    # Authentication-Results says DMARC passed for its From domain; anything else is triaged.
    inbound_authserv_id: str | None = Field(None, validation_alias=_env("ICR_INBOUND_AUTHSERV_ID"))
    inbound_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, validation_alias=_env("ICR_INBOUND_MAX_BYTES")
    )
    subject_key_secret: str = Field(
        DEV_SUBJECT_KEY_SECRET, validation_alias=_env("ICR_SUBJECT_KEY_SECRET")
    )
    subject_key_previous: str = Field("", validation_alias=_env("ICR_SUBJECT_KEY_PREVIOUS"))
    """Comma-separated secrets of before a rotation: ``find`` still finds older cases."""
    environment: Literal["development", "production"] = Field(
        "development", validation_alias=_env("ICR_ENVIRONMENT")
    )

    field_office_reminder_days: float = Field(
        _POLICY.field_office_reminder_days,
        gt=0,
        validation_alias=_env("ICR_FIELD_OFFICE_REMINDER_DAYS"),
    )
    supervisor_escalation_days: float = Field(
        _POLICY.supervisor_escalation_days,
        gt=0,
        validation_alias=_env("ICR_SUPERVISOR_ESCALATION_DAYS"),
    )
    escalation_window_days: float = Field(
        _POLICY.escalation_window_days, gt=0, validation_alias=_env("ICR_ESCALATION_WINDOW_DAYS")
    )
    information_deadline_days: float = Field(
        _POLICY.information_deadline_days,
        gt=0,
        validation_alias=_env("ICR_INFORMATION_DEADLINE_DAYS"),
    )
    consultation_due_days: float = Field(
        _POLICY.consultation_due_days, gt=0, validation_alias=_env("ICR_CONSULTATION_DUE_DAYS")
    )
    determination_target_days: float = Field(
        _POLICY.determination_target_days,
        gt=0,
        validation_alias=_env("ICR_DETERMINATION_TARGET_DAYS"),
    )
    determination_target_detained_days: float = Field(
        _POLICY.determination_target_detained_days,
        gt=0,
        validation_alias=_env("ICR_DETERMINATION_TARGET_DETAINED_DAYS"),
    )

    payload_keys: str | None = Field(None, validation_alias=_env("ICR_PAYLOAD_KEYS"))
    payload_key_file: Path | None = Field(None, validation_alias=_env("ICR_PAYLOAD_KEY_FILE"))
    staff_directory: Path | None = Field(None, validation_alias=_env("ICR_STAFF_DIRECTORY"))
    directory_refresh_minutes: float = Field(
        10, validation_alias=_env("ICR_DIRECTORY_REFRESH_MINUTES")
    )
    codec_address: str = Field("127.0.0.1:8234", validation_alias=_env("ICR_CODEC_ADDRESS"))
    codec_ui_origin: str = Field(
        "http://localhost:8233", validation_alias=_env("ICR_CODEC_UI_ORIGIN")
    )
    codec_tokens: str = Field("", validation_alias=_env("ICR_CODEC_TOKENS"))

    # Worker tuning; the defaults are discussed in bench/RESULTS.md.
    max_concurrent_workflow_tasks: int = Field(
        100, ge=1, validation_alias=_env("ICR_MAX_CONCURRENT_WORKFLOW_TASKS")
    )
    max_concurrent_activities: int = Field(
        100, ge=1, validation_alias=_env("ICR_MAX_CONCURRENT_ACTIVITIES")
    )
    max_cached_workflows: int = Field(500, ge=0, validation_alias=_env("ICR_MAX_CACHED_WORKFLOWS"))
    smtp_rate_per_second: float = Field(0, ge=0, validation_alias=_env("ICR_SMTP_RATE_PER_SECOND"))

    metrics_address: str = Field("127.0.0.1:9464", validation_alias=_env("ICR_METRICS_ADDRESS"))

    log_format: str = Field("console", validation_alias=_env("ICR_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=_env("ICR_LOG_LEVEL"))

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> Self:
        """The A-number space (10^9) is searched in minutes under a known secret: production
        refuses to start on the development default or a short one."""
        if self.environment == "production" and (
            self.subject_key_secret == DEV_SUBJECT_KEY_SECRET
            or len(self.subject_key_secret) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "ICR_SUBJECT_KEY_SECRET must be set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters when ICR_ENVIRONMENT=production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def previous_subject_secrets(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.subject_key_previous.split(",") if s.strip())

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(**{name: getattr(self, name) for name in DeadlinePolicy.model_fields})

    def keyring(self) -> "KeyRing | None":
        """The payload keys, or None when none are configured (development only)."""
        from security.keys import KeyRing

        if self.payload_keys:
            return KeyRing.parse(self.payload_keys)
        if self.payload_key_file is not None:
            return KeyRing.load(self.payload_key_file)
        if DEV_KEY_FILE.is_file():  # the key file `make run` generated for development
            return KeyRing.load(DEV_KEY_FILE)
        return None

    def mailbox(self, local_part: str) -> str:
        return f"{local_part}@{self.mailbox_domain}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, or one line naming what is wrong with them (never a traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SystemExit("invalid settings: " + "; ".join(describe(exc))) from None
