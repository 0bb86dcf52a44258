"""The sandbox the worker runs cases in; the replay tests use the very same.

The workflow package is passed through: it holds no state of its own, and importing it afresh
into every cached case's sandbox cost ~100 KB of worker memory per case and a module import per
new case (bench/README.md). ``domain`` goes with it, whole: the shell holds the host's copy of
each domain class, and a domain module first imported inside a sandbox (a deferred import)
would be a second copy whose classes fail ``isinstance`` against the first. The domain is pure
(time comes in as an argument), so the sandbox guards nothing there.

One shortcut: for every payload it decodes or encodes, the SDK asks the workflow instance for a
serialization context (three times per payload sequence) and for an external-store context,
and under the sandbox each ask runs code inside it (an ``exec`` under the sandbox's importer).
A payload that belongs to no command (a signal's, an update's, the start's) always gets the
workflow's own context, so that answer is given here from the instance's details; every other
ask is put to the sandboxed instance's own lookup directly, without the ``exec``: both answers
are plain lookups in the instance's tables, which import nothing and call nothing the sandbox
restricts. Measured by ``python -m bench.burst``, the asks were about 70% of a refused signal's
CPU, and a third of the SDK's work around a lifecycle's activations (``python -m
bench.profile``). ``tests/unit/test_sandbox.py`` holds the shortcut to the SDK's own answers.
"""

from collections.abc import Sequence
from typing import Any

import temporalio.bridge.proto.workflow_activation as activation
from temporalio.converter import SerializationContext, WorkflowSerializationContext
from temporalio.worker import (
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = (
    "pydantic",
    "pydantic_core",
    "email_validator",
    "idna",
    "phonenumbers",
    "structlog",
    "cryptography",  # a native module: one copy per process, never re-imported per case
)
"""Validation libraries import lazily; letting them through keeps them out of each sandbox."""


_IN_SANDBOX = "__temporal_in_sandbox"
"""Where the SDK's sandbox keeps the case's instance (``workflow_sandbox._runner._Instance``)."""


class _OwnContextFirst(WorkflowInstance):
    """A sandboxed case whose serialization and store contexts are answered outside the
    sandbox's ``exec``."""

    def __init__(self, inner: WorkflowInstance, own: WorkflowSerializationContext) -> None:
        self._inner, self._own = inner, own
        namespace: dict[str, Any] = getattr(inner, "globals_and_locals", {})
        self._lookup: Any = namespace.get(_IN_SANDBOX, inner)  # the SDK's way if not there

    def activate(self, act: activation.WorkflowActivation) -> Any:
        return self._inner.activate(act)

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        if command_info is None:
            return self._own
        context: SerializationContext | None = self._lookup.get_serialization_context(command_info)
        return context

    def get_external_store_context(self, command_info: Any) -> Any:
        return self._lookup.get_external_store_context(command_info)

    def get_info(self) -> Any:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        """The deadlock detector interrupts the case's thread by this id."""
        return self._inner.get_thread_id()


class CaseSandbox(WorkflowRunner):
    def __init__(self, inner: SandboxedWorkflowRunner) -> None:
        self.inner = inner

    def prepare_workflow(self, defn: Any) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        own = WorkflowSerializationContext(
            namespace=det.info.namespace, workflow_id=det.info.workflow_id
        )
        return _OwnContextFirst(self.inner.create_instance(det), own)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


def workflow_runner(workflow_package: str = "workflows") -> CaseSandbox:
    passthrough = (*PASSTHROUGH, "domain", workflow_package)
    return CaseSandbox(
        SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*passthrough)
        )
    )
