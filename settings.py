"""Settings from the environment, as the contract's settings table names them."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DeadlinePolicy
from domain.errors import describe

DEV_KEY_FILE = Path(__file__).resolve().parent / "var" / "payload-keys.json"
DEV_SUBJECT_KEY_SECRET = "dev-only-subject-key-change-me"
MIN_SECRET_LENGTH = 32


def plain(secret: SecretStr | None) -> str:
    """A secret's value where it must be used (never logged), or "" when unset."""
    return secret.get_secret_value() if secret is not None else ""


_POLICY = DeadlinePolicy()
"""The deadline defaults are the policy's own; each may be set by ``ICR_<NAME>``."""
DEV_STAMP_KEY_FILE = DEV_KEY_FILE.with_name("stamp-keys.json")


def notice_queue(case_queue: str) -> str:
    """The notice task queue of a case queue: notices leave the case's queue so that the server
    can hold every worker together to the mail relay's quota
    (``max_task_queue_activities_per_second``)."""
    return f"{case_queue}-notices"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    # The connection itself (profiles, TLS, API key, every TEMPORAL_* variable) is Temporal's
    # own envconfig (clients.py); these two are read here too so that set ones win over a profile.
    temporal_address: str = Field("localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    temporal_api_key: SecretStr | None = Field(None, validation_alias=_env("TEMPORAL_API_KEY"))
    task_queue: str = Field("case-review", validation_alias=_env("ICR_TASK_QUEUE"))
    # A frontend that checks JWTs: this service's client at the identity provider (client
    # credentials grant, security/client_credentials.py). Unset: no token is sent.
    temporal_token_url: str | None = Field(None, validation_alias=_env("ICR_TEMPORAL_TOKEN_URL"))
    temporal_client_id: str | None = Field(None, validation_alias=_env("ICR_TEMPORAL_CLIENT_ID"))
    temporal_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("ICR_TEMPORAL_CLIENT_SECRET")
    )
    temporal_token_scope: str | None = Field(
        None, validation_alias=_env("ICR_TEMPORAL_TOKEN_SCOPE")
    )
    temporal_token_resource: str | None = Field(
        None, validation_alias=_env("ICR_TEMPORAL_TOKEN_RESOURCE")
    )

    smtp_host: str = Field("localhost", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
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
    database_url: SecretStr | None = Field(None, validation_alias=_env("ICR_DATABASE_URL"))
    documents_dir: Path = Field(Path("var/documents"), validation_alias=_env("ICR_DOCUMENTS_DIR"))
    # Privacy Act records: the accounting of disclosures (5 years at least, 552a(c)(2)) and the
    # closed case's record (the records schedule); the accounting lives as long as the record.
    disclosure_retention_years: float = Field(
        5, ge=5, validation_alias=_env("ICR_DISCLOSURE_RETENTION_YEARS")
    )
    case_record_retention_years: float = Field(
        7, gt=0, validation_alias=_env("ICR_CASE_RECORD_RETENTION_YEARS")
    )
    release_font: Path = Field(
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        validation_alias=_env("ICR_RELEASE_FONT"),
    )

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
    # A sender (its address, hashed) gets this many messages per window; past it a 451 asks
    # its server to retry later, so a flood waits and a legitimate burst is only delayed.
    inbound_sender_rate: int = Field(30, ge=1, validation_alias=_env("ICR_INBOUND_SENDER_RATE"))
    inbound_sender_window_seconds: int = Field(
        3600, ge=1, validation_alias=_env("ICR_INBOUND_SENDER_WINDOW_SECONDS")
    )
    # The same, per client address (accepted messages, not commands): a relay forwarding for
    # many senders gets more room; a host sending in many names at once is slowed too.
    inbound_client_rate: int = Field(300, ge=1, validation_alias=_env("ICR_INBOUND_CLIENT_RATE"))
    # Comma-separated addresses or networks of the agency's relays. When set, only they may
    # connect and only their Authentication-Results count; required in production.
    inbound_relays: str = Field("", validation_alias=_env("ICR_INBOUND_RELAYS"))
    inbound_max_sessions: int = Field(200, ge=1, validation_alias=_env("ICR_INBOUND_MAX_SESSIONS"))
    inbound_max_sessions_per_client: int = Field(
        20, ge=1, validation_alias=_env("ICR_INBOUND_MAX_SESSIONS_PER_CLIENT")
    )
    # Per IPv4 /24 or IPv6 /64: one host with a block of addresses cannot take the whole cap.
    inbound_max_sessions_per_network: int = Field(
        50, ge=1, validation_alias=_env("ICR_INBOUND_MAX_SESSIONS_PER_NETWORK")
    )
    # A session that has not moved a message on (MAIL, RCPT, DATA) for this long is closed,
    # whatever else it sends (NOOP, RSET, HELP do not keep it open).
    inbound_idle_seconds: float = Field(
        120, gt=0, validation_alias=_env("ICR_INBOUND_IDLE_SECONDS")
    )
    # Where DATA is written as it arrives (encrypted, per session, removed once stored), so a
    # session holds a small buffer in memory rather than the message.
    inbound_spool_dir: Path = Field(
        Path("var/mail-spool"), validation_alias=_env("ICR_INBOUND_SPOOL_DIR")
    )
    # Mail is taken only while the spool's and the store's disks keep this much free (452
    # otherwise: the sender's server keeps the mail and retries), so a flood of large mails
    # cannot fill the disk the cases and the documents live on.
    inbound_min_free_bytes: int = Field(
        2 * 1024**3, ge=0, validation_alias=_env("ICR_INBOUND_MIN_FREE_BYTES")
    )
    # The CPU budget to read one stored mail (in a child process); over it, the mail is triaged.
    inbound_read_seconds: float = Field(20, gt=0, validation_alias=_env("ICR_INBOUND_READ_SECONDS"))
    # GET /health: 503 once a mail has been sorting for longer than the read budget allows, or
    # once the oldest mail received and not yet sorted has waited longer than this.
    inbound_queue_max_age_seconds: float = Field(
        900, gt=0, validation_alias=_env("ICR_INBOUND_QUEUE_MAX_AGE_SECONDS")
    )
    inbound_health_address: str = Field(
        "127.0.0.1:9466", validation_alias=_env("ICR_INBOUND_HEALTH_ADDRESS")
    )
    triage_retention_days: float = Field(
        90, gt=0, validation_alias=_env("ICR_TRIAGE_RETENTION_DAYS")
    )
    subject_key_secret: SecretStr = Field(
        SecretStr(DEV_SUBJECT_KEY_SECRET), validation_alias=_env("ICR_SUBJECT_KEY_SECRET")
    )
    subject_key_previous: SecretStr = Field(
        SecretStr(""), validation_alias=_env("ICR_SUBJECT_KEY_PREVIOUS")
    )
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

    payload_keys: SecretStr | None = Field(None, validation_alias=_env("ICR_PAYLOAD_KEYS"))
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
    codec_session_secret: str | None = Field(
        None, validation_alias=_env("ICR_CODEC_SESSION_SECRET")
    )
    codec_cookie_secure: bool = Field(False, validation_alias=_env("ICR_CODEC_COOKIE_SECURE"))
    oidc_issuer: str | None = Field(None, validation_alias=_env("ICR_OIDC_ISSUER"))
    oidc_audience: str | None = Field(None, validation_alias=_env("ICR_OIDC_AUDIENCE"))
    oidc_jwks_url: str | None = Field(None, validation_alias=_env("ICR_OIDC_JWKS_URL"))
    oidc_staff_claim: str = Field(
        "preferred_username", validation_alias=_env("ICR_OIDC_STAFF_CLAIM")
    )
    stamp_keys_spec: str | None = Field(None, validation_alias=_env("ICR_STAMP_KEYS"))
    stamp_key_file: Path | None = Field(None, validation_alias=_env("ICR_STAMP_KEY_FILE"))
    stamp_public_keys: str = Field("", validation_alias=_env("ICR_STAMP_PUBLIC_KEYS"))
    stamp_freshness_hours: float = Field(
        72, gt=0, validation_alias=_env("ICR_STAMP_FRESHNESS_HOURS")
    )
    service_key: str | None = Field(None, validation_alias=_env("ICR_SERVICE_KEY"))
    service_key_file: Path | None = Field(None, validation_alias=_env("ICR_SERVICE_KEY_FILE"))
    codec_endpoint: str | None = Field(None, validation_alias=_env("ICR_CODEC_ENDPOINT"))
    staff_token: str | None = Field(None, validation_alias=_env("ICR_STAFF_TOKEN"))
    staff_token_file: Path | None = Field(None, validation_alias=_env("ICR_STAFF_TOKEN_FILE"))

    # Worker tuning; the defaults are discussed in bench/RESULTS.md.
    max_concurrent_workflow_tasks: int = Field(
        100, ge=1, validation_alias=_env("ICR_MAX_CONCURRENT_WORKFLOW_TASKS")
    )
    max_concurrent_activities: int = Field(
        100, ge=1, validation_alias=_env("ICR_MAX_CONCURRENT_ACTIVITIES")
    )
    max_cached_workflows: int = Field(500, ge=0, validation_alias=_env("ICR_MAX_CACHED_WORKFLOWS"))
    # The mail relay's quota for all replicas together, enforced by the server on the notice
    # task queue (0: no limit).
    smtp_rate_per_second: float = Field(0, ge=0, validation_alias=_env("ICR_SMTP_RATE_PER_SECOND"))

    # One port each per worker process: a second worker on a host sets its own (empty: off).
    metrics_address: str = Field("127.0.0.1:9464", validation_alias=_env("ICR_METRICS_ADDRESS"))
    health_address: str = Field("127.0.0.1:9465", validation_alias=_env("ICR_HEALTH_ADDRESS"))
    # How often each worker counts the backlog for its gauges (0: never).
    backlog_interval_seconds: float = Field(
        300, ge=0, validation_alias=_env("ICR_BACKLOG_INTERVAL_SECONDS")
    )
    # The staff id the scheduled reminder round acts as (a SUPERVISOR in the staff directory).
    schedule_actor: str = Field("icr.scheduler", validation_alias=_env("ICR_SCHEDULE_ACTOR"))

    log_format: str = Field("console", validation_alias=_env("ICR_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=_env("ICR_LOG_LEVEL"))

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> Self:
        """The A-number space (10^9) is searched in minutes under a known secret: production
        refuses to start on the development default or a short one."""
        if self.environment == "production" and (
            plain(self.subject_key_secret) == DEV_SUBJECT_KEY_SECRET
            or len(plain(self.subject_key_secret)) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "ICR_SUBJECT_KEY_SECRET must be set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters when ICR_ENVIRONMENT=production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def previous_subject_secrets(self) -> tuple[str, ...]:
        previous = plain(self.subject_key_previous).split(",")
        return tuple(s.strip() for s in previous if s.strip())

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(**{name: getattr(self, name) for name in DeadlinePolicy.model_fields})

    @property
    def notice_task_queue(self) -> str:
        """Notices have their own task queue so the server can hold them to the relay's quota."""
        return notice_queue(self.task_queue)

    def mailbox(self, local_part: str) -> str:
        return f"{local_part}@{self.mailbox_domain}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, or one line naming what is wrong with them (never a traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SystemExit("invalid settings: " + "; ".join(describe(exc))) from None
