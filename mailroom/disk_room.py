"""Whether the disks a mail lands on have room for it: a flood of large mails is refused with
``452`` (the sender's server keeps them and retries) before it fills the disk that the cases,
their documents and the store live on (attack on issue 21: 50 mails of 25 MB, 2.5 GB, in 90 s).

Asked at ``MAIL FROM`` (room for the largest message from every session open, so sessions
spooling in parallel cannot overshoot the floor: 200 sessions of 25 MB ask 5 GB more) and
before a message is stored (room for it), each folder's free space read at most once a second;
a folder that cannot be read has no room (the sender retries)."""

import os
import time
from pathlib import Path

import structlog

log = structlog.get_logger("icr.mailroom")

INSUFFICIENT = "452 4.3.1 insufficient system storage; try again later"


class DiskRoom:
    def __init__(self, folders: list[Path], keep_free: int, ttl: float = 1.0) -> None:
        self._folders = folders
        self._keep_free = keep_free
        self._ttl = ttl
        self._read_at = float("-inf")
        self._free = 0

    def _least_free(self) -> int:
        now = time.monotonic()
        if now - self._read_at >= self._ttl:
            free = []
            for folder in self._folders:
                try:
                    stat = os.statvfs(_existing(folder))
                    free.append(stat.f_bavail * stat.f_frsize)
                except OSError:
                    free.append(0)
            self._free, self._read_at = min(free, default=0), now
        return self._free

    def has_room(self, size: int) -> bool:
        """Whether ``size`` more bytes leave at least the floor free on every folder's disk."""
        if not self._keep_free:
            return True
        room = self._least_free() - self._keep_free >= size
        if not room:
            log.warning("mailroom.disk_low", keep_free=self._keep_free)
        return room


def _existing(folder: Path) -> Path:
    """The folder, or its nearest existing parent (the same disk until it is made)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return Path("/")
