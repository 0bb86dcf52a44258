"""Session fixtures: a real Temporal dev server, a real SMTP sink and a real worker."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from clients import DATA_CONVERTER
from domain import search
from settings import Settings
from tests.support import BIN, MailSink, free_port
from worker import build_worker


@pytest.fixture(scope="session")
def mail() -> Iterator[MailSink]:
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def settings(mail: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        notice_ledger=tmp_path_factory.mktemp("ledger") / "ledger.sqlite3",
        task_queue="case-review",
    )


@pytest.fixture(scope="session")
def ui_port() -> int:
    return free_port()


@pytest_asyncio.fixture(scope="session")
async def env(ui_port: int) -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=search.ALL_KEYS,
        dev_server_log_level="error",
        ui=True,
        ui_port=ui_port,
    ) as environment:
        yield environment


@pytest.fixture(scope="session")
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest_asyncio.fixture(scope="session", autouse=False)
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    w = build_worker(client, settings)
    async with w:
        yield w


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
