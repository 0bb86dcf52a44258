"""The server's limits on what reaches a case are the same in every stack, and they add up."""

from pathlib import Path

import yaml

from domain.bounds import CARRY_LIMIT_BYTES
from tools.devserver import dev_server_command
from workflows import server_limits as limits

ROOT = Path(__file__).resolve().parents[2]
HISTORY_SIZE_ERROR = 50 * 1024 * 1024
"""The server's default ``limit.historySize.error``: past it the server terminates the case."""


def test_compose_and_the_dev_server_set_the_same_limits() -> None:
    config = yaml.safe_load((ROOT / "deploy/temporal/dynamicconfig.yaml").read_text())
    for key, value in limits.DYNAMIC_CONFIG.items():
        assert config[key] == [{"value": value}], key
    command = dev_server_command(port=7233, db_file=Path("x.db"))
    for key, value in limits.DYNAMIC_CONFIG.items():
        assert f"{key}={value}" in command, key
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "dynamicconfig.yaml" in compose, "compose's server reads the dynamic config"


def test_a_flood_of_the_largest_signals_stays_below_the_termination_limit() -> None:
    worst = limits.SIGNALS_PER_RUN * limits.BLOB_SIZE_ERROR
    carried = 2 * CARRY_LIMIT_BYTES  # a continued run's input: the case file and more
    assert worst + carried < HISTORY_SIZE_ERROR * 0.9
    assert limits.SIGNALS_BEFORE_CONTINUING < limits.SIGNALS_PER_RUN
    assert CARRY_LIMIT_BYTES < limits.BLOB_SIZE_ERROR * 0.8, "the carried file fits a payload"
