"""``make run`` prints one codec-server sign-in per person, never one for a service identity."""

from pathlib import Path

import pytest

from tools import devstack


def test_sign_ins_are_printed_for_people_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devstack, "VAR", tmp_path)
    directory = devstack._dev_directory(devstack.ROOT / "config" / "staff-directory.json")
    tokens = devstack._dev_tokens(directory)
    assert {"fo.officer1", "sro.reviewer1", "sup.lead1"} <= set(tokens)
    assert not [who for who in tokens if who == "icr.scheduler" or who.startswith("svc.")]
