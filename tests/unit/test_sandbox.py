"""The sandbox's shortcut answers exactly what the SDK's own instance would."""

import asyncio
from typing import Any

import pytest
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from sandbox import CaseSandbox, _OwnContextFirst, workflow_runner
from tests.test_replay import HISTORIES, recorded, replayer


def test_the_worker_runs_cases_in_the_shortcut_sandbox() -> None:
    assert isinstance(workflow_runner(), CaseSandbox)


@pytest.mark.parametrize("ask", ["get_serialization_context", "get_external_store_context"])
@pytest.mark.parametrize(
    "history", ["broken_signals_then_closed.json", "local_to_determination.json"]
)
def test_the_shortcut_answers_what_the_sdk_answers(ask: str, history: str) -> None:
    """Replay a real case; at every ask compare the shortcut with the SDK's answer, which it
    gets by running the same lookup inside the sandbox."""
    compared: list[tuple[Any, Any, Any]] = []
    original = getattr(_OwnContextFirst, ask)

    def checking(self: _OwnContextFirst, command_info: Any) -> Any:
        ours = original(self, command_info)
        compared.append((command_info, ours, getattr(self._inner, ask)(command_info)))
        return ours

    setattr(_OwnContextFirst, ask, checking)
    try:
        result = asyncio.run(
            replayer().replay_workflow(recorded(HISTORIES / history), raise_on_replay_failure=False)
        )
    finally:
        setattr(_OwnContextFirst, ask, original)
    assert result.replay_failure is None
    assert any(info is None for info, _, _ in compared), "asked for the workflow's own context"
    assert any(info is not None for info, _, _ in compared), "asked for a command's context"
    for _, ours, sdks in compared:
        assert ours == sdks
    if ask == "get_serialization_context":
        kinds = {type(ours) for _, ours, _ in compared}
        if history == "local_to_determination.json":  # its notices are activities
            assert kinds == {WorkflowSerializationContext, ActivitySerializationContext}
