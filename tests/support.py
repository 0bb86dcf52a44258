"""Test helpers: sample submissions, a real SMTP sink on loopback, polling with a bound."""

import asyncio
import email
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import PollerInfo, TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from clients import register_search_attributes
from domain.status import CaseStatus
from settings import Settings
from tests.signing import DEFAULT_SIGNER, staff_converter
from worker import build_worker

PII = (
    # Every personal datum of the sample submissions (submission(), represented()).
    "A012345678",
    "012345678",
    "Maria",
    "Lopez",
    "Garcia",
    "1988-04-12",
    "Guatemala",
    "+12125550143",
    "555-0143",
    "maria.lopez@example.org",
    "Dana",
    "Advocate",
    "dana@lawfirm",
    "+14155550188",
    "4155550188",
    "DOC-77",
    "US citizen children",  # the grounds
)
SERVER_START = timedelta(seconds=60)
"""How long a test server may take to come up: the SDK's 5 s is short for a busy CI machine
(several test processes start theirs at once); a server that is up sooner is used at once."""
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def submission(**overrides: Any) -> dict[str, Any]:
    """A complete LOCAL_REVIEW submission; tweak with overrides (top-level keys)."""
    data: dict[str, Any] = {
        "field_office": "NEW_YORK_CITY",
        "subject": {
            "a_number": "A-012-345-678",
            "given_name": "Maria",
            "family_name": "Lopez Garcia",
            "date_of_birth": "1988-04-12",
            "country_of_birth": "Guatemala",
        },
        "requestor": {
            "kind": "SELF",
            "name": "Maria Lopez Garcia",
            "phone": "(212) 555-0143",
            "email": "maria.lopez@example.org",
        },
        "detained": False,
        "grounds": "Long-time resident with US citizen children and no criminal history.",
    }
    data.update(overrides)
    return data


def sro_submission(**overrides: Any) -> dict[str, Any]:
    data = submission(
        entry="SRO_INQUIRY",
        local_response={
            "date": "2026-10-01",
            "finding": "MEETS_PRIORITIES",
            "summary": "The field office found the case meets the priorities.",
        },
    )
    data.update(overrides)
    return data


def represented(form: str | None = "G-28", **overrides: Any) -> dict[str, Any]:
    """Submitted by an attorney, with or without an authorization form."""
    rep: dict[str, Any] = {
        "name": "Dana Advocate",
        "email": "dana@lawfirm.example.org",
        "phone": "+1 415 555 0188",
        "organization": "Advocates LLP",
    }
    if form:
        rep["authorization"] = {"form": form, "document_ref": "DOC-77"}
    return sro_submission(
        requestor={
            "kind": "REPRESENTATIVE",
            "name": "Dana Advocate",
            "phone": "+1 415 555 0188",
            "email": "dana@lawfirm.example.org",
        },
        representative=rep,
        **overrides,
    )


async def start_case(
    client: Client, settings: Settings, data: dict[str, Any]
) -> WorkflowHandle[Any, Any]:
    """Start a case the way integrating systems do (``intake.submit``) and return its handle."""
    from domain.inquiry import Submission
    from intake import submit

    result = await submit(client, Submission.model_validate(data), settings)
    return client.get_workflow_handle(result.case_id)


def actor(role: str, staff_id: str | None = None) -> dict[str, str]:
    return {"id": staff_id or f"{role.lower()}.one", "role": role}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)


@dataclass
class MailSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    _controller: Controller | None = None

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append(
            Received(
                str(envelope.mail_from), list(envelope.rcpt_tos), email.message_from_bytes(content)
            )
        )
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def for_case(self, case_id: str) -> list[Received]:
        return [r for r in self.received if f"[{case_id}]" in r.subject]

    def to(self, case_id: str, address: str) -> list[Received]:
        return [r for r in self.for_case(case_id) if address in r.rcpt_tos]


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    timeout: float = 60.0,
    interval: float = 0.2,
) -> T:
    """Poll ``probe`` until ``accept`` holds; fail with the last value after ``timeout``
    (generous: it returns as soon as ``accept`` holds, and a busy machine is slow)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)


async def status_of(handle: WorkflowHandle[Any, Any]) -> CaseStatus:
    status: CaseStatus = await handle.query("status", result_type=CaseStatus)
    return status


async def wait_stage(
    handle: WorkflowHandle[Any, Any], stage: str, timeout: float = 60.0
) -> CaseStatus:
    """Wait for ``stage`` with its deadlines set (the case opens just after it starts)."""

    def settled(s: CaseStatus) -> bool:
        return s.stage == stage and (bool(s.open_tasks) or stage in ("CLOSED", "SRO_INTAKE"))

    return await eventually(lambda: status_of(handle), settled, timeout=timeout)


async def history_event_types(client: Client, case_id: str) -> list[str]:
    history = await client.get_workflow_handle(case_id).fetch_history()
    from temporalio.api.enums.v1 import EventType

    return [EventType.Name(e.event_type) for e in history.events]


class Proc(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


async def run_starter(env: dict[str, str], *args: str, stdin: str | None = None) -> Proc:
    """starter.py as its own process, without blocking the loop the test worker runs on."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "starter.py",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else b""), 60)
    return Proc(proc.returncode or 0, out.decode(), err.decode())


@asynccontextmanager
async def time_skipping_cases(
    settings: Settings, default_signer: str = DEFAULT_SIGNER
) -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, its search attributes registered (it has no flag for
    them), and a case worker on it. Staff stamps carry the test server's skipped time, as a
    desk's would carry the real one; a submission is signed as ``default_signer``."""
    skipping: list[WorkflowEnvironment] = []

    async def server_time() -> datetime:
        return await skipping[0].get_current_time()

    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        test_server_startup_timeout=SERVER_START,
        data_converter=staff_converter(settings, server_time, default_signer),
    ) as env:
        skipping.append(env)
        await register_search_attributes(env.client)
        async with build_worker(env.client, settings):
            yield env


async def own_namespace(
    env: WorkflowEnvironment, settings: Settings, namespace: str, **updates: Any
) -> tuple[Client, Settings]:
    """A namespace of the test's own (so counts and filters are exact), its search attributes
    registered, and settings and a client pointed at it that acts as staff (signed)."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
    from temporalio.service import RPCError, RPCStatusCode

    from tests.signing import staff_converter

    request = RegisterNamespaceRequest(
        namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
    )
    for attempt in range(5):  # a loaded dev server cancels a registration now and then
        try:
            await env.client.workflow_service.register_namespace(request)
            break
        except RPCError as exc:
            if exc.status is RPCStatusCode.ALREADY_EXISTS:  # an earlier attempt got through
                break
            if attempt == 4:
                raise
            await asyncio.sleep(1)
    own = settings.model_copy(
        update={
            "temporal_address": env.client.service_client.config.target_host,
            "temporal_namespace": namespace,
            **updates,
        }
    )
    client = await eventually(
        lambda: Client.connect(
            own.temporal_address, namespace=namespace, data_converter=staff_converter(own)
        ),
        lambda c: c is not None,
    )
    await asyncio.sleep(1)  # the new namespace reaches the frontend's cache
    await register_search_attributes(client)
    return client, own


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def pollers(
    client: Client,
    queue: str,
    kind: TaskQueueType.ValueType = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
) -> list[PollerInfo]:
    """The workers polling a queue (for workflow tasks unless ``kind`` says), as the server
    sees them."""
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
        )
    )
    return list(answer.pollers)


def refused_by_server_cap(err: BaseException) -> bool:
    """The server's answer to a signal past a run's cap (``workflows.server_limits``)."""
    return isinstance(err, RPCError) and "limit" in str(err).lower() and "signal" in str(err)


async def signal_politely(handle: WorkflowHandle[Any, Any], name: str, arg: Any) -> None:
    """A sender that waits out the server's per-run signal cap: the case continues as new
    well before the cap, which resets it, so the signal lands a moment later."""
    for _ in range(600):
        try:
            await handle.signal(name, arg)
            return
        except RPCError as err:
            if not refused_by_server_cap(err):
                raise
            await asyncio.sleep(0.1)
    raise AssertionError(f"{name}: the case never took the signal")


async def longest_workflow_task(client: Client, case_id: str, run_id: str | None = None) -> float:
    """Seconds from a workflow task's start to its completion, the longest in a run."""
    from temporalio.api.enums.v1 import EventType

    history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
    started, longest = None, 0.0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = event.event_time.ToDatetime()
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started:
            longest = max(longest, (event.event_time.ToDatetime() - started).total_seconds())
    return longest
