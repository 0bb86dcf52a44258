"""Recorded histories of every path replay against today's code: a change that would break a
running case fails CI here (tests/histories/record.py records them)."""

import json
from pathlib import Path

import pytest
import temporalio.workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from clients import worker_data_converter
from sandbox import workflow_runner
from settings import Settings
from workflows.case_review import CaseReviewWorkflow
from workflows.inbox import SLICE

HISTORIES = Path(__file__).resolve().parent / "histories"
KEY = (HISTORIES / "KEY").read_text().strip()
FILES = sorted(HISTORIES.glob("*.json"))


def recorded(path: Path) -> WorkflowHistory:
    """A recorded history under its own case id (the workflow refuses ids that are not)."""
    text = path.read_text()
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    # The time-skipping server records no id: any case id replays such a history.
    return WorkflowHistory.from_json(started.get("workflowId", "ICR-REPLAYREPLAY"), text)


def replayer() -> Replayer:
    return Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=worker_data_converter(Settings(payload_keys=KEY)),
        workflow_runner=workflow_runner(),
    )


def test_every_recorded_path_is_there() -> None:
    assert {f.stem for f in FILES} >= {
        "local_to_determination",
        "incomplete_then_withdrawn",
        "broken_signals_then_closed",
        "a_burst_in_one_task",
        "reminders_then_not_escalated",
        "information_deadline_incomplete",
    }


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
async def test_history_replays_on_todays_code(path: Path) -> None:
    history = recorded(path)
    result = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_replay_catches_a_breaking_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard works: code that sends one notice fewer no longer matches the history."""
    from domain.case_file import CaseFile

    original = CaseFile.apply_policy

    def open_without_notice(self: CaseFile, policy: object) -> None:
        original(self, policy)  # type: ignore[arg-type]
        self.take_notices()  # the field office is no longer told

    monkeypatch.setattr(CaseFile, "apply_policy", open_without_notice)
    history = recorded(HISTORIES / "local_to_determination.json")
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None


def test_the_burst_was_judged_in_slices() -> None:
    """One task delivered more signals than a slice; the case judged them over several."""
    events = json.loads((HISTORIES / "a_burst_in_one_task.json").read_text())["events"]
    kinds = [e["eventType"] for e in events]
    signals = kinds.count("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED")
    assert signals > SLICE and kinds.count("EVENT_TYPE_TIMER_STARTED") >= signals // SLICE
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in kinds
    # The update sent after the burst waited its turn: answered once every slice was judged.
    last_slice = max(i for i, k in enumerate(kinds) if k == "EVENT_TYPE_TIMER_FIRED")
    assert kinds.index("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED") > last_slice


async def test_a_change_behind_a_patch_keeps_every_recorded_case_replaying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The procedure for the first change after 1.0 (docs/operating.md, "Changing the
    workflow"), with a throwaway patch: the breaking change of the test above, asked behind
    ``workflow.patched``, replays every recorded case (they carry no marker, so they take the
    old path) while a new case takes the new one."""
    from domain.case_file import CaseFile

    original = CaseFile.apply_policy

    def open_behind_a_patch(self: CaseFile, policy: object) -> None:
        original(self, policy)  # type: ignore[arg-type]
        if temporalio.workflow.patched("throwaway-after-1.0"):
            self.take_notices()

    monkeypatch.setattr(CaseFile, "apply_policy", open_behind_a_patch)
    for path in FILES:
        result = await replayer().replay_workflow(recorded(path), raise_on_replay_failure=False)
        assert result.replay_failure is None, path.name


def test_a_1_0_case_records_no_patch_marker() -> None:
    for path in FILES:
        events = json.loads(path.read_text())["events"]
        assert not [
            e
            for e in events
            if "markerRecordedEventAttributes" in e
            and e["markerRecordedEventAttributes"].get("markerName") == "core_patch"
        ], path.name
