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


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a connection URL for a superuser ``icr`` on loopback; stops and removes it after."""
    folder = Path(tempfile.mkdtemp(prefix="icr-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()

    def run(*cmd: str, check: bool = True) -> None:
        subprocess.run(cmd, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    run(*run_as, _bin("initdb"), "-D", str(data), "-U", "icr", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = _bin("pg_ctl")
    run(*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield f"postgresql://icr@127.0.0.1:{port}/postgres"
    finally:
        run(*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
