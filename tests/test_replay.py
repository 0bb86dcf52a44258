"""Recorded histories of every path replay against today's code: a change that would break a
running case fails CI here (tests/histories/record.py records them)."""

import json
from pathlib import Path

import pytest
import temporalio.workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from clients import worker_data_converter
from settings import Settings
from worker import workflow_runner
from workflows.case_review import CaseReviewWorkflow

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
        "before_withdrawal_notice.incomplete_then_withdrawn",
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


OLD_WITHDRAWAL = HISTORIES / "before_withdrawal_notice.incomplete_then_withdrawn.json"


async def test_the_withdrawal_notice_patch_keeps_old_cases_replaying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A case withdrawn before the patch replays (no notice); without the patch guard the same
    history would break, which is why the change is patched."""
    history = recorded(OLD_WITHDRAWAL)
    assert (await replayer().replay_workflow(history)).replay_failure is None
    monkeypatch.setattr(temporalio.workflow, "patched", lambda patch_id: True)
    unguarded = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert unguarded.replay_failure is not None


def patch_ids(path: Path) -> list[bytes]:
    history = recorded(path)
    return [
        payload.data
        for event in history.events
        if event.marker_recorded_event_attributes.marker_name == "core_patch"
        for details in event.marker_recorded_event_attributes.details.values()
        for payload in details.payloads
    ]


def test_new_histories_carry_the_patch_marker() -> None:
    assert any(
        b"withdrawal-notice" in d for d in patch_ids(HISTORIES / "incomplete_then_withdrawn.json")
    )
    assert patch_ids(OLD_WITHDRAWAL) == []


def test_a_settled_case_records_one_patch_marker_for_every_behaviour() -> None:
    """A new case asks the settlement alone: one marker, not one per patch."""
    files = sorted(HISTORIES.glob("settled.*.json"))
    assert len(files) == 5
    for path in files:
        assert [json.loads(d)["id"] for d in patch_ids(path)] == ["settled-2026-11"], path.name
