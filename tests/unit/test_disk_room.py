"""The door takes a mail only while the disks it lands on keep their floor free."""

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mailroom.disk_room import DiskRoom


def disks(monkeypatch: pytest.MonkeyPatch, free: dict[str, int]) -> list[str]:
    asked: list[str] = []

    def statvfs(path: Any) -> Any:
        asked.append(str(path))
        if str(path) not in free:
            raise OSError("gone")
        return SimpleNamespace(f_bavail=free[str(path)] // 4096, f_frsize=4096)

    monkeypatch.setattr(os, "statvfs", statvfs)  # what disk_room asks
    return asked


def test_room_is_the_least_free_disk_less_the_floor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    disks(monkeypatch, {str(a): 100 * 4096, str(b): 40 * 4096})
    room = DiskRoom([a, b], keep_free=10 * 4096, ttl=0)
    assert room.has_room(30 * 4096)
    assert not room.has_room(30 * 4096 + 1)  # b keeps its floor only below that


def test_a_folder_not_made_yet_is_its_parent_s_disk_and_an_unreadable_one_has_no_room(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = disks(monkeypatch, {str(tmp_path): 50 * 4096})
    assert DiskRoom([tmp_path / "spool" / "later"], keep_free=1, ttl=0).has_room(4096)
    assert asked[-1] == str(tmp_path)
    disks(monkeypatch, {})
    assert not DiskRoom([tmp_path], keep_free=1, ttl=0).has_room(1)


def test_the_disks_are_read_at_most_once_a_ttl_and_no_floor_asks_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = disks(monkeypatch, {str(tmp_path): 50 * 4096})
    room = DiskRoom([tmp_path], keep_free=4096, ttl=60)
    for _ in range(100):
        assert room.has_room(4096)
    assert len(asked) == 1
    assert DiskRoom([tmp_path], keep_free=0).has_room(10**18) and len(asked) == 1
