"""Session fixtures: a real Temporal dev server, a real SMTP sink and a real worker."""

import base64
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from codec_server.app import app_from_settings
from domain.field_office import FieldOffice
from security.signing import ServiceKey
from settings import Settings
from tests.cluster import cluster  # noqa: F401 (a fixture: a server and a worker of its own)
from tests.postgres import postgres_server
from tests.signing import staff_converter, stamp_key_file
from tests.support import BIN, SERVER_START, MailSink, free_port
from tools.devserver import limit_args
from worker import Workers, build_worker
from workflows import search_attributes as search


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files that hold a slow test run first, each file's tests in their own order: with the
    suite split over processes (``make test``: pytest-xdist, a file to a process), the long
    files start at once instead of finishing last."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture(scope="session")
def mail() -> Iterator[MailSink]:
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


SUGGEST_CONTINUE_AS_NEW_AT = 600

TEST_STAFF: list[dict[str, Any]] = [
    # The tests' actors (tests.support.actor): one per role, the field-office one for every office.
    {"id": "field_office.one", "roles": ["FIELD_OFFICE"], "field_offices": list(FieldOffice)},
    {"id": "fo.1", "roles": ["FIELD_OFFICE"], "field_offices": list(FieldOffice)},
    {"id": "fo.boston", "roles": ["FIELD_OFFICE"], "field_offices": ["BOSTON"]},
    {"id": "sro.one", "roles": ["SRO"]},
    {"id": "sro.x", "roles": ["SRO"]},
    {"id": "ice_attorney.one", "roles": ["ICE_ATTORNEY"]},
    {"id": "supervisor.one", "roles": ["SUPERVISOR"]},
    {"id": "intake.one", "roles": ["INTAKE"]},
    {"id": "records.one", "roles": ["RECORDS"]},
    {"id": "sup.lead1", "roles": ["SUPERVISOR"]},
    # Reviewers the tests assign (assign_reviewer takes only people who hold SRO).
    *({"id": i, "roles": ["SRO"]} for i in ("sro.sa", "sro.reviewer1", "sro.reviewer7")),
    *({"id": f"r{n}", "roles": ["SRO"]} for n in range(10)),
]

SERVICE_KEYS = {
    staff_id: ServiceKey(staff_id, "svc1", Ed25519PrivateKey.generate())
    for staff_id in ("svc.mailroom", "svc.codec", "svc.starter")
}
"""Service identities sign with their own keys: the mail gateway, the codec server's reads,
an integrating system's starter (``starter.py submit``)."""

SERVICES: list[dict[str, Any]] = [
    {"id": key.staff_id, "roles": ["INTAKE"], "service": True, "public_keys": key.public()}
    for key in SERVICE_KEYS.values()
]


def as_service(settings: Settings, staff_id: str) -> Settings:
    """The settings of a process that acts as the service identity ``staff_id``."""
    return settings.model_copy(update={"service_key": SERVICE_KEYS[staff_id].spec()})


TOKENS = {m["id"]: f"token-of-{m['id']}-{secrets.token_hex(8)}" for m in TEST_STAFF}
"""Each test person's codec-server token (``ICR_CODEC_TOKENS`` pairs)."""


@pytest.fixture(scope="session")
def settings(mail: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Encrypted payloads and a staff directory, as in production."""
    folder = tmp_path_factory.mktemp("icr")
    directory = folder / "staff.json"
    directory.write_text(json.dumps({"staff": [*TEST_STAFF, *SERVICES]}))
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        notice_ledger=folder / "ledger.sqlite3",
        task_queue="case-review",
        payload_keys=f"test1:{key}",
        staff_directory=directory,
        codec_tokens=",".join(f"{m['id']}:{TOKENS[m['id']]}" for m in TEST_STAFF),
        stamp_key_file=stamp_key_file(folder),
        # The mailbox tests send many mails from one test address within the hour; the
        # per-sender rate is tested with its own small limit (test_mailbox_limits).
        inbound_sender_rate=10_000,
        inbound_client_rate=10_000,
        inbound_health_address="",  # a test that reads it gives its gateway a free port
    )


@pytest.fixture(scope="session")
def ui_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def codec_port() -> int:
    return free_port()


@pytest_asyncio.fixture(scope="session")
async def codec_server(
    settings: Settings, ui_port: int, codec_port: int, env: WorkflowEnvironment
) -> AsyncIterator[str]:
    """The codec server the UI is pointed at, on loopback; it reads each case's field office
    from the dev server."""
    address = env.client.service_client.config.target_host
    app = app_from_settings(
        settings.model_copy(
            update={"codec_ui_origin": f"http://localhost:{ui_port}", "temporal_address": address}
        )
    )
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", codec_port).start()
    yield f"http://localhost:{codec_port}"
    await runner.cleanup()


@pytest_asyncio.fixture(scope="session")
async def env(
    ui_port: int, settings: Settings, codec_port: int
) -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_startup_timeout=SERVER_START,
        data_converter=staff_converter(settings),
        search_attributes=search.ALL_KEYS,
        dev_server_log_level="error",
        ui=True,
        ui_port=ui_port,
        dev_server_extra_args=[
            "--ui-codec-endpoint",
            f"http://localhost:{codec_port}",
            # The server suggests continue-as-new early, so a long case crosses runs in seconds.
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AT}",
            # A case whose workflow task fails twice running is flagged at once, not after five.
            "--dynamic-config-value",
            "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2",
            *limit_args(),  # the limits of every stack (workflows.server_limits)
        ],
    ) as environment:
        yield environment


@pytest.fixture(scope="session")
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest_asyncio.fixture(scope="session", autouse=False)
async def worker(client: Client, settings: Settings) -> AsyncIterator[Workers]:
    w = build_worker(client, settings)
    async with w:
        yield w


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Our own PostgreSQL 15 server, for the store's tests and the gateway's."""
    with postgres_server() as server:
        yield server.url
