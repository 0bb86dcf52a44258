"""Reading a stored mail in a child process under a deadline: no mail can stall the gateway.

The parsing is linear (``html_text``, ``template``), but the standard library's MIME parser is
not ours to prove; so a mail is read in a separate process that holds neither the SMTP loop nor
its GIL, and one that takes longer than ``ICR_INBOUND_READ_SECONDS`` is killed and the mail goes
to triage with the reason. The child is kept between mails and started again after a kill.
"""

import asyncio
import contextlib
import multiprocessing
import resource
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from mailroom.letter import Letter, UnreadableMail, read_letter
from mailroom.template import read_fields

#: the child's address space: a few times the largest message, never the host's memory
_CHILD_MEMORY = 2 * 1024**3
_START_SECONDS = 120.0


class ReadingTooLong(Exception):
    """The mail took more than the budget to read: a person looks at it (triage)."""


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (_CHILD_MEMORY, _CHILD_MEMORY))
    conn.send(("ready", None))  # imports done: the budget counts reading only
    while True:
        try:
            raw = conn.recv_bytes()
        except EOFError:
            return
        result: tuple[str, Any]
        try:
            letter = read_letter(raw)
            result = ("ok", (letter, read_fields(letter.text)))
        except UnreadableMail as exc:
            result = ("unreadable", str(exc))
        except MemoryError:
            result = ("unreadable", "too large to read")
        except Exception as exc:  # the parser records defects; this is the net under it
            result = ("unreadable", type(exc).__name__)
        conn.send(result)


def read_in_child(raw: bytes, conn: Connection, seconds: float) -> tuple[str, Any]:
    conn.send_bytes(raw)
    if not conn.poll(seconds):
        raise ReadingTooLong(f"reading took more than {seconds:g} s")
    result: tuple[str, Any] = conn.recv()
    return result


class Reader:
    """One child process reading one mail at a time; ``read`` is safe to await concurrently."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._context = multiprocessing.get_context("spawn")
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def _start(self) -> Connection:
        if self._child is None or not self._child.is_alive() or self._conn is None:
            parent, child = self._context.Pipe()
            self._child = self._context.Process(target=_serve, args=(child,), daemon=True)
            self._child.start()
            child.close()
            if not parent.poll(_START_SECONDS):
                self._child.kill()
                raise UnreadableMail("the reader did not start")
            parent.recv()
            self._conn = parent
        return self._conn

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.join(5)
        if self._conn is not None:
            self._conn.close()
        self._child, self._conn = None, None

    def _read(self, raw: bytes) -> tuple[Letter, dict[str, str]]:
        with self._lock:
            try:
                kind, value = read_in_child(raw, self._start(), self.seconds)
            except ReadingTooLong:
                self._kill()
                raise
            except (EOFError, OSError, BrokenPipeError):  # the child died (out of memory)
                self._kill()
                raise UnreadableMail("the reader stopped (too large to read)") from None
        if kind != "ok":
            raise UnreadableMail(str(value))
        letter, fields = value
        return letter, fields

    async def read(self, raw: bytes) -> tuple[Letter, dict[str, str]]:
        """The letter and its template fields; UnreadableMail or ReadingTooLong otherwise."""
        return await asyncio.to_thread(self._read, raw)

    def close(self) -> None:
        with self._lock:
            self._kill()
