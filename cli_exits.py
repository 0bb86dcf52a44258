"""How the operator CLI ends: one line on standard error and a documented exit status for each
kind of failure, never a traceback (docs/operating.md, "Exit statuses")."""

import asyncio
import errno
import os
import sys
from collections.abc import Callable
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError, RPCStatusCode

from clients import Unreachable
from security.client_credentials import TokenRefused
from security.remote_codec import CodecServerError

EXIT_OK = 0
EXIT_ERROR = 1  # the server answered with an error not listed below
EXIT_INVALID = 2  # bad input: the line names the field or option
EXIT_REFUSED = 3  # the case refused the decision or the start (its rule says why)
EXIT_NOT_FOUND = 4  # no such case
EXIT_PARTLY_APPLIED = 5  # a bulk action: some cases changed, some refused (listed)
EXIT_UNREACHABLE = 6  # no Temporal server at the configured address, or it timed out
EXIT_CASE_STUCK = 7  # the case cannot answer: its workflow task keeps failing, or it failed


class CliError(Exception):
    """A failure the CLI reports as ``lines`` on standard error with ``code``."""

    code = EXIT_ERROR

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


class InputError(CliError):
    code = EXIT_INVALID


class Refused(CliError):
    code = EXIT_REFUSED


class NotFound(CliError):
    code = EXIT_NOT_FOUND


class CaseStuck(CliError):
    code = EXIT_CASE_STUCK


# How long status and decide wait for a case to answer before saying it does not.
ANSWER_TIMEOUT = float(os.environ.get("ICR_CLI_TIMEOUT_SECONDS", "30"))


async def answerable(client: Client, case_id: str) -> WorkflowHandle[Any, Any]:
    """The case's handle, once it is known to exist and to be able to answer: an open case
    whose workflow task keeps failing would leave a query or an update waiting for ever."""
    handle = client.get_workflow_handle(case_id)
    described = await handle.describe()  # NOT_FOUND: exit 4
    if described.status is not WorkflowExecutionStatus.RUNNING:
        return handle
    attempt = described.raw_description.pending_workflow_task.attempt
    flagged = "TemporalReportedProblems" in (
        described.raw_description.workflow_execution_info.search_attributes.indexed_fields
    )
    if attempt > 1 or flagged:
        tried = f" (attempt {attempt})" if attempt > 1 else ""
        raise CaseStuck(
            f"case {case_id} is stuck: its workflow task keeps failing{tried}; "
            "see docs/operating.md, 'Runbook: a case whose workflow task fails'"
        )
    return handle


async def closed_case_query(handle: WorkflowHandle[Any, Any], name: str) -> Any:
    """A query, where a closed case that cannot replay (a failed or frozen one) is one line."""
    try:
        return await in_time(f"the {name} query", handle.id, handle.query(name))
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError, RPCError) as exc:
        if isinstance(exc, RPCError) and exc.status is RPCStatusCode.NOT_FOUND:
            raise
        described = await handle.describe()
        state = described.status.name if described.status else "UNKNOWN"
        reason = str(getattr(exc, "message", exc)).splitlines()[0][:160]
        raise CaseStuck(f"case {handle.id} is {state} and cannot answer {name}: {reason}") from None


async def in_time(what: str, case_id: str, call: Any) -> Any:
    try:
        return await asyncio.wait_for(call, ANSWER_TIMEOUT)
    except TimeoutError:
        raise CaseStuck(
            f"case {case_id} gave no answer to {what} within {ANSWER_TIMEOUT:.0f}s "
            "(no worker running, or its workflow task is failing)"
        ) from None


def _line(exc: BaseException) -> tuple[str, int]:
    if isinstance(exc, CliError):
        return "\n".join(exc.lines), exc.code
    if isinstance(exc, Unreachable):
        return f"temporal: {exc}", EXIT_UNREACHABLE
    if isinstance(exc, TokenRefused):  # no token for a frontend that checks them
        return f"temporal: {exc}", EXIT_UNREACHABLE
    if isinstance(exc, CodecServerError):  # signing a decision through the codec server
        return str(exc), EXIT_ERROR
    if isinstance(exc, RPCError):
        if exc.status is RPCStatusCode.NOT_FOUND:
            return f"not found: {exc.message}", EXIT_NOT_FOUND
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return f"temporal: server unavailable ({exc.message})", EXIT_UNREACHABLE
        if exc.status in (RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED):
            return (
                f"temporal refused this caller ({exc.status.name}: {exc.message}); its token "
                "must carry a permissions claim for the namespace (deploy/README.md)",
                EXIT_ERROR,
            )
        if exc.status is RPCStatusCode.INVALID_ARGUMENT:
            return f"temporal refused the request: {exc.message}", EXIT_INVALID
        return f"temporal: {exc.status.name if exc.status else 'error'}: {exc.message}", EXIT_ERROR
    if isinstance(exc, WorkflowQueryRejectedError | WorkflowQueryFailedError):
        return f"the case cannot answer: {exc}", EXIT_CASE_STUCK
    return f"error: {type(exc).__name__}: {exc}", EXIT_ERROR


def finish(body: Callable[[], int]) -> int:
    """Run a command body; turn every failure into one message and its exit status. A reader
    that stops early (``| head``) ends the output quietly."""
    try:
        return body()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        text, code = _line(exc)
        try:
            print(text, file=sys.stderr)
        except OSError as err:
            if err.errno != errno.EPIPE:
                raise
        return code


def _silence_stdout() -> None:
    """Python would report the broken pipe again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
