"""The sandbox's shortcut answers exactly what the SDK's own instance would."""

import asyncio

from temporalio.converter import WorkflowSerializationContext

from sandbox import CaseSandbox, _OwnContextFirst, workflow_runner
from tests.test_replay import HISTORIES, recorded, replayer


def test_the_worker_runs_cases_in_the_shortcut_sandbox() -> None:
    assert isinstance(workflow_runner(), CaseSandbox)


def test_the_shortcut_answers_what_the_sdk_answers_for_a_payload_of_no_command() -> None:
    """Replay a real case; at every activation compare the shortcut with the SDK's answer."""
    compared: list[tuple[object, object]] = []
    original = _OwnContextFirst.get_serialization_context

    def checking(self: _OwnContextFirst, command_info: object) -> object:
        ours = original(self, command_info)
        if command_info is None:
            compared.append((ours, self._inner.get_serialization_context(None)))
        return ours

    _OwnContextFirst.get_serialization_context = checking  # type: ignore[method-assign,assignment]
    try:
        history = recorded(HISTORIES / "broken_signals_then_closed.json")
        result = asyncio.run(replayer().replay_workflow(history, raise_on_replay_failure=False))
    finally:
        _OwnContextFirst.get_serialization_context = original  # type: ignore[method-assign]
    assert result.replay_failure is None
    assert compared, "the SDK asked for the workflow's own context"
    for ours, sdks in compared:
        assert isinstance(ours, WorkflowSerializationContext) and ours == sdks
