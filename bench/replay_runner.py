"""The worker's runner for the replay bench (``sandbox.workflow_runner``, its context shortcut
included), every activation timed."""

import time
from collections.abc import Sequence
from typing import Any

import temporalio.bridge.proto.workflow_activation as wa
from temporalio.converter import SerializationContext
from temporalio.worker import WorkflowInstance, WorkflowRunner
from temporalio.worker._workflow_instance import WorkflowInstanceDetails

from sandbox import workflow_runner


class TimedInstance(WorkflowInstance):
    """A workflow instance whose activations are timed (CPU of the thread that runs them)."""

    def __init__(self, inner: WorkflowInstance, seen: list[tuple[float, int]]) -> None:
        self._inner, self._seen = inner, seen

    def activate(self, act: wa.WorkflowActivation) -> Any:
        began = time.thread_time()
        done = self._inner.activate(act)
        signals = sum(1 for job in act.jobs if job.HasField("signal_workflow"))
        self._seen.append((time.thread_time() - began, signals))
        return done

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        return self._inner.get_serialization_context(command_info)

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()

    def get_info(self) -> Any:
        return self._inner.get_info()

    def get_external_store_context(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get_external_store_context(*args, **kwargs)


class TimedRunner(WorkflowRunner):
    """The worker's sandboxed runner (``worker.workflow_runner``), its activations timed."""

    def __init__(self) -> None:
        self._inner = workflow_runner()
        self.seen: list[tuple[float, int]] = []
        """Per activation since last cleared: (CPU seconds, signals it delivered)."""

    def prepare_workflow(self, defn: Any) -> None:
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return TimedInstance(self._inner.create_instance(det), self.seen)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._inner.set_worker_level_failure_exception_types(types)
