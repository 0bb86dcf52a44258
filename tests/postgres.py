"""A real PostgreSQL server for the tests, started in a temporary folder like the dev server.

The server refuses to run as root, so under root (CI) it runs as the Debian package's
``postgres`` user.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port


def _bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: `make test` installs postgresql-15")
    return found


class PostgresServer:
    """A server of its own in a temporary folder; ``stop`` and ``start`` for outage tests."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="icr-pg-"))
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self._data, self.port = self.folder / "data", free_port()
        self._run(_bin("initdb"), "-D", str(self._data), "-U", "icr", "--auth=trust", "-E", "UTF8")
        self.url = f"postgresql://icr@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str, check: bool = True) -> None:
        subprocess.run(
            [*self._run_as, *cmd], check=check, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "log")
        self._run(_bin("pg_ctl"), "-D", str(self._data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A started server (superuser ``icr`` on loopback, ``.url``); stopped and removed after."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()
