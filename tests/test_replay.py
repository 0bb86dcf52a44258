"""Recorded histories of every path replay against today's code: a change that would break a
running case fails CI here (tests/histories/record.py records them)."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from clients import data_converter
from settings import Settings
from worker import workflow_runner
from workflows.case_review import CaseReviewWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"
KEY = (HISTORIES / "KEY").read_text().strip()
FILES = sorted(HISTORIES.glob("*.json"))


def replayer() -> Replayer:
    return Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=data_converter(Settings(payload_keys=KEY)),
        workflow_runner=workflow_runner(),
    )


def test_every_recorded_path_is_there() -> None:
    assert {f.stem for f in FILES} >= {
        "local_to_determination",
        "incomplete_then_withdrawn",
        "broken_signals_then_closed",
    }


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
async def test_history_replays_on_todays_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_replay_catches_a_breaking_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard works: code that sends one notice fewer no longer matches the history."""
    from workflows.case_file import CaseFile

    original = CaseFile.open

    def open_without_notice(self: CaseFile, policy: object) -> None:
        original(self, policy)  # type: ignore[arg-type]
        self.take_effects()  # the field office is no longer told

    monkeypatch.setattr(CaseFile, "open", open_without_notice)
    history = WorkflowHistory.from_json(
        "x", (HISTORIES / "local_to_determination.json").read_text()
    )
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
