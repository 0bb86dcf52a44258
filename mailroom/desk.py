"""The gateway's one way into cases: every case start and every decision passes here.

The gateway (and the codec server, for the reads it records) acts as a service identity: an
INTAKE member of the staff directory with ``"service": true`` and its own public keys, signing
with its own key (``ICR_SERVICE_KEY``), as the scheduled rounds and an integrating system's
starter do. ``CaseDesk.for_service`` puts that key on whatever connection it is given, so
nothing leaves here unsigned; each body names its case (``case_id``), so a stamp copied into
another case is refused there.
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from clients import data_converter
from domain.inquiry import Submission
from domain.roles import Actor, Role
from intake import Submitted, submit
from security import configured
from security.sealed_answers import SealedAnswers, UnsealedAnswer
from settings import Settings

GATEWAY_IDENTITY = "svc.mailroom"
"""The mail gateway's service identity (the staff id its ``ICR_SERVICE_KEY`` names)."""


class CaseUnavailable(Exception):
    """Temporal cannot be reached now: try the message again later."""


class NoSuchCase(Exception):
    """The case a mail names does not exist (or is not ours to tell)."""


class DecisionRefused(Exception):
    """The case refused the decision; the message names the rule, never personal data."""


UPDATE_ATTEMPTS = 4
"""Tries of an update refused with FAILED_PRECONDITION (its task failed, nothing applied)."""


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


class ServiceKeyMissing(SystemExit):
    """The process has no service key: it could start nothing and decide nothing."""


class CaseDesk:
    def __init__(
        self, settings: Settings, connect: Callable[[], Awaitable[Client]], actor: Actor
    ) -> None:
        self._settings = settings
        self._connect = connect
        self._client: Client | None = None
        self._answers: Client | None = None
        self.actor = actor

    @classmethod
    def for_service(
        cls, settings: Settings, connect: Callable[[], Awaitable[Client]], expected: str
    ) -> "CaseDesk":
        """A desk that signs everything with the settings' service key (``expected``'s)."""
        service = configured.service_identity(settings)
        if service is None or service.staff_id != expected:
            raise ServiceKeyMissing(
                f"ICR_SERVICE_KEY (or ICR_SERVICE_KEY_FILE) must hold {expected}'s signing key "
                "(python -m security.stampkeys service " + expected + ")"
            )
        converter = data_converter(
            settings.model_copy(update={"staff_token": None, "staff_token_file": None})
        )

        async def signed() -> Client:
            config = (await connect()).config()
            config["data_converter"] = converter
            return Client(**config)

        return cls(settings, signed, Actor(id=service.staff_id, role=Role.INTAKE))

    async def client(self) -> Client:
        if self._client is None:
            try:
                self._client = await self._connect()
            except (RuntimeError, OSError, RPCError) as exc:
                raise CaseUnavailable(f"Temporal unreachable ({type(exc).__name__})") from None
        return self._client

    async def answering(self) -> Client:
        """The same connection, believing only answers sealed for the case asked
        (``security.sealed_answers``): a run an outsider started under a case id, answering
        from a worker of its own, is no case to this desk."""
        if self._answers is None:
            config = (await self.client()).config()
            converter = config["data_converter"]
            config["data_converter"] = dataclasses.replace(
                converter, payload_codec=SealedAnswers(converter.payload_codec)
            )
            self._answers = Client(**config)
        return self._answers

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
        # Signed by the client's codec (the service key, or a person's through the codec
        # server); the body names its case, as main's bulk actions do.
        handle = (await self.client()).get_workflow_handle(case_id)
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            try:
                await handle.execute_update(name, {**payload, "case_id": case_id})
                return
            except WorkflowUpdateFailedError as exc:
                cause = exc.cause
                raise DecisionRefused(str(getattr(cause, "message", "refused"))) from None
            except RPCError as exc:
                # An update whose workflow task failed (a signal landed while the case handed
                # over to a new run) was not applied: the next attempt reaches the new run.
                if exc.status != RPCStatusCode.FAILED_PRECONDITION:
                    raise self._translate(exc) from None
                if attempt == UPDATE_ATTEMPTS:
                    raise CaseUnavailable("Temporal: the case's task failed; try again") from None
                await asyncio.sleep(0.2 * attempt)

    async def status(self, case_id: str) -> object:
        """The case's status query (no personal data), as plain JSON; only an answer sealed
        for this case (else ``NoSuchCase``)."""
        handle = (await self.answering()).get_workflow_handle(case_id)
        try:
            return await handle.query("status")
        except (WorkflowQueryFailedError, UnsealedAnswer):
            raise NoSuchCase("the case cannot answer") from None
        except RPCError as exc:
            raise self._translate(exc) from None

    async def correspondent(self, case_id: str, address: str) -> str | None:
        """Which correspondent of the case ``address`` is (REQUESTOR, REPRESENTATIVE) or None.

        Asked of the case itself through the encrypted payload path: the gateway keeps no list
        of addresses, and a query leaves nothing in the history.
        """
        handle = (await self.answering()).get_workflow_handle(case_id)
        try:
            role: str | None = await handle.query("whose_address", address)
        except (WorkflowQueryFailedError, UnsealedAnswer):
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
