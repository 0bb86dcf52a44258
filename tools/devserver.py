"""The one command line of the Temporal dev server: `make run`, the bench and the fault tests.

It registers the contract's search attributes, sets the server's limits on what reaches a case
(``workflows.server_limits``) and takes the SQLite settings that the bench found fastest
without losing an acknowledged case to a SIGKILL.
"""

import sys
from pathlib import Path

from workflows.search_attributes import REGISTRATION
from workflows.server_limits import DYNAMIC_CONFIG

TEMPORAL = Path(sys.executable).parent / "temporal"
DURABLE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL")


def dev_server_command(
    *,
    port: int,
    db_file: Path,
    ui_port: int | None = None,
    codec_endpoint: str | None = None,
    pragmas: tuple[str, ...] = DURABLE_PRAGMAS,
    log_level: str = "warn",
) -> list[str]:
    """``ui_port`` None: no Web UI."""
    cmd = [
        str(TEMPORAL),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        "--log-level",
        log_level,
    ]
    cmd += ["--ui-port", str(ui_port)] if ui_port is not None else ["--headless"]
    if codec_endpoint is not None:
        cmd += ["--ui-codec-endpoint", codec_endpoint]
    for pragma in pragmas:
        cmd += ["--sqlite-pragma", pragma]
    for name, kind in REGISTRATION.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd + limit_args()


def limit_args() -> list[str]:
    """The server's limits on what reaches a case (``workflows.server_limits``): every stack."""
    return [
        arg
        for key, value in DYNAMIC_CONFIG.items()
        for arg in ("--dynamic-config-value", f"{key}={value}")
    ]
