"""The worker's sandboxed runner for the replay bench: every activation timed, and optionally
the serialization-context shortcut proposed for the worker (issue 20, bench/README.md).

The SDK asks the workflow instance for a serialization context for every payload it decodes.
Under the sandbox each ask runs code inside the sandbox (``exec`` under the sandbox's importer),
and a signal's payload belongs to no command, so every answer is the same: the workflow's own
context. ``shortcut`` answers that case from the instance's info without entering the sandbox
(what ``_WorkflowInstanceImpl.get_serialization_context(None)`` returns), everything else as is.
"""

import time
from collections.abc import Sequence
from typing import Any

import temporalio.bridge.proto.workflow_activation as wa
from temporalio.converter import SerializationContext, WorkflowSerializationContext
from temporalio.worker import WorkflowInstance, WorkflowRunner
from temporalio.worker._workflow_instance import WorkflowInstanceDetails

from sandbox import workflow_runner


class TimedInstance(WorkflowInstance):
    """A workflow instance whose activations are timed (CPU of the thread that runs them)."""

    def __init__(
        self, inner: WorkflowInstance, seen: list[tuple[float, int]], shortcut: bool
    ) -> None:
        self._inner, self._seen, self._shortcut = inner, seen, shortcut
        self._own: SerializationContext | None = None

    def activate(self, act: wa.WorkflowActivation) -> Any:
        began = time.thread_time()
        done = self._inner.activate(act)
        signals = sum(1 for job in act.jobs if job.HasField("signal_workflow"))
        self._seen.append((time.thread_time() - began, signals))
        return done

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        if command_info is None and self._shortcut:
            if self._own is None:
                info = self._inner.get_info()
                self._own = WorkflowSerializationContext(
                    namespace=info.namespace, workflow_id=info.workflow_id
                )
            return self._own
        return self._inner.get_serialization_context(command_info)

    def get_info(self) -> Any:
        return self._inner.get_info()

    def get_external_store_context(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get_external_store_context(*args, **kwargs)


class TimedRunner(WorkflowRunner):
    """The worker's sandboxed runner (``worker.workflow_runner``), its activations timed."""

    def __init__(self, shortcut: bool = False) -> None:
        self._inner = workflow_runner()
        self._shortcut = shortcut
        self.seen: list[tuple[float, int]] = []
        """Per activation since last cleared: (CPU seconds, signals it delivered)."""

    def prepare_workflow(self, defn: Any) -> None:
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return TimedInstance(self._inner.create_instance(det), self.seen, self._shortcut)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._inner.set_worker_level_failure_exception_types(types)
