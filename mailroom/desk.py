"""The gateway's one way into cases: every case start and every decision passes here.

The gateway acts as a service identity (``GATEWAY_ACTOR``, an INTAKE member of the staff
directory). Signed decisions (the identity issue) plug in at ``CaseDesk._send``: the one place
where a payload leaves the gateway for a case.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.inquiry import Submission
from domain.roles import Actor, Role
from intake import Submitted, submit
from settings import Settings

GATEWAY_ACTOR = Actor(id="svc.mailroom", role=Role.INTAKE)


class CaseUnavailable(Exception):
    """Temporal cannot be reached now: try the message again later."""


class NoSuchCase(Exception):
    """The case a mail names does not exist (or is not ours to tell)."""


class DecisionRefused(Exception):
    """The case refused the decision; the message names the rule, never personal data."""


def _unavailable(exc: RPCError) -> bool:
    return exc.status in (
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.CANCELLED,
    )


class CaseDesk:
    def __init__(
        self, settings: Settings, connect: Callable[[], Awaitable[Client]], actor: Actor
    ) -> None:
        self._settings = settings
        self._connect = connect
        self._client: Client | None = None
        self.actor = actor

    async def client(self) -> Client:
        if self._client is None:
            try:
                self._client = await self._connect()
            except (RuntimeError, OSError, RPCError) as exc:
                raise CaseUnavailable(f"Temporal unreachable ({type(exc).__name__})") from None
        return self._client

    async def start_case(self, submission: Submission) -> Submitted:
        """Idempotent on the submission's request_id (the mail's Message-ID)."""
        client = await self.client()
        try:
            return await submit(client, submission, self._settings)
        except RPCError as exc:
            if _unavailable(exc):
                raise CaseUnavailable(f"Temporal: {exc.status.name}") from None
            raise

    async def decide(self, case_id: str, name: str, payload: dict[str, Any]) -> None:
        """An update as the desk's actor; ``decision_id`` in the payload makes it once-only."""
        await self._send(case_id, name, {**payload, "actor": self.actor.model_dump()})

    async def receive_documents(
        self, case_id: str, source: str, documents: list[dict[str, Any]], decision_id: str
    ) -> None:
        """The case records the references (never the bytes) of documents a mail brought."""
        await self.decide(
            case_id,
            "receive_documents",
            {"documents": documents, "source": source, "decision_id": decision_id},
        )

    async def _send(self, case_id: str, name: str, payload: dict[str, Any]) -> None:
        # Issue #11 hooks in here: sign ``payload`` as ``self.actor`` before it leaves.
        handle = (await self.client()).get_workflow_handle(case_id)
        try:
            await handle.execute_update(name, payload)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            raise DecisionRefused(str(getattr(cause, "message", "refused"))) from None
        except RPCError as exc:
            raise self._translate(exc) from None

    async def status(self, case_id: str) -> object:
        """The case's status query (no personal data), as plain JSON."""
        handle = (await self.client()).get_workflow_handle(case_id)
        try:
            return await handle.query("status")
        except WorkflowQueryFailedError:
            raise NoSuchCase("the case cannot answer") from None
        except RPCError as exc:
            raise self._translate(exc) from None

    async def correspondent(self, case_id: str, address: str) -> str | None:
        """Which correspondent of the case ``address`` is (REQUESTOR, REPRESENTATIVE) or None.

        Asked of the case itself through the encrypted payload path: the gateway keeps no list
        of addresses, and a query leaves nothing in the history.
        """
        handle = (await self.client()).get_workflow_handle(case_id)
        try:
            role: str | None = await handle.query("whose_address", address)
        except WorkflowQueryFailedError:
            raise NoSuchCase("the case cannot answer") from None
        except RPCError as exc:
            raise self._translate(exc) from None
        return role

    def _translate(self, exc: RPCError) -> Exception:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return NoSuchCase("no such case")
        if exc.status is RPCStatusCode.INVALID_ARGUMENT:
            return NoSuchCase("the case cannot answer")
        if _unavailable(exc):
            return CaseUnavailable(f"Temporal: {exc.status.name}")
        return exc
