"""docker-compose.yml, checked statically (no Docker engine runs here): every service, port,
volume and variable the worker and the UI need is there and consistent."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings import Settings
from workflows.search_attributes import REGISTRATION

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_and_pinned_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in (
        "postgresql",
        "temporal-schema",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "worker",
        "codec-server",
        "mailpit",
        "prometheus",
        "grafana",
    ):
        assert name in services, name
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+", image), (
                f"{name}: image not pinned: {image}"
            )
        else:
            assert service.get("build") == ".", name
    assert "container_name" not in services["worker"], "a named container cannot be scaled"
    assert "ports" not in services["worker"], "host ports would collide when scaled"


def test_worker_and_ui_reach_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    worker = services["worker"]["environment"]
    host, port = worker["TEMPORAL_ADDRESS"].split(":")
    assert host in services and f"{port}:{port}" in services[host]["ports"]
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == worker["TEMPORAL_ADDRESS"]
    assert worker["SMTP_HOST"] in services
    assert f"{worker['SMTP_PORT']}:{worker['SMTP_PORT']}" in services[worker["SMTP_HOST"]]["ports"]
    metrics_port = worker["ICR_METRICS_ADDRESS"].rsplit(":", 1)[1]
    assert metrics_port in services["worker"]["expose"]
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    target = scrape["scrape_configs"][0]["dns_sd_configs"][0]
    assert target["names"] == ["worker"] and str(target["port"]) == metrics_port
    ledger_dir = str(Path(worker["ICR_NOTICE_LEDGER"]).parent)
    assert f"notice-ledger:{ledger_dir}" in services["worker"]["volumes"]
    # The UI decodes through the codec server, which answers the UI's origin.
    ui = services["temporal-ui"]["environment"]
    codec = services["codec-server"]["environment"]
    codec_port = codec["ICR_CODEC_ADDRESS"].rsplit(":", 1)[1]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == f"http://localhost:{codec_port}"
    assert f"{codec_port}:{codec_port}" in services["codec-server"]["ports"]
    ui_port = services["temporal-ui"]["ports"][0].split(":")[0]
    assert codec["ICR_CODEC_UI_ORIGIN"] == f"http://localhost:{ui_port}"
    example = (ROOT / ".env.example").read_text()
    for secret in ("ICR_PAYLOAD_KEYS", "ICR_CODEC_TOKENS", "ICR_SUBJECT_KEY_SECRET"):
        assert f"{secret}=" in example, secret
    # Every variable the worker is given is one the worker's settings read.
    aliases = {
        str(choice)
        for field in Settings.model_fields.values()
        for choice in getattr(field.validation_alias, "choices", [])
    }
    for variable in worker:
        assert variable in aliases, f"the worker reads no {variable}"


def test_volumes_and_files_exist(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} is missing"
            else:
                assert source in declared, f"{name}: undeclared volume {source}"
    assert (ROOT / "Dockerfile").is_file()


def test_secrets_come_from_an_uncommitted_env_file(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)\}", text))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used <= example, f"missing from .env.example: {used - example}"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert "PASSWORD: change-me" not in text


def test_search_attributes_are_registered_with_their_types() -> None:
    script = (ROOT / "deploy/temporal/setup-namespace.sh").read_text()
    for name, kind in REGISTRATION.items():
        assert f"{name}={kind}" in script, name


def test_the_mail_gateway_shares_the_store_and_reaches_temporal(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway = services["mail-gateway"]
    env = gateway["environment"]
    assert gateway["command"] == ["python", "-m", "mailroom.gateway"]
    assert f"{env['ICR_INBOUND_SMTP_PORT']}:{env['ICR_INBOUND_SMTP_PORT']}" in gateway["ports"]
    assert env["TEMPORAL_ADDRESS"] == services["worker"]["environment"]["TEMPORAL_ADDRESS"]
    assert env["ICR_TASK_QUEUE"] == services["worker"]["environment"]["ICR_TASK_QUEUE"]
    aliases = {
        str(choice)
        for field in Settings.model_fields.values()
        for choice in getattr(field.validation_alias, "choices", [])
    }
    assert set(env) <= aliases
    # One store for workers, codec server and gateway: PostgreSQL, its database created once.
    example = (ROOT / ".env.example").read_text()
    url = next(line for line in example.splitlines() if line.startswith("ICR_DATABASE_URL="))
    database = url.rsplit("/", 1)[1]
    init = (ROOT / "deploy/postgres/create-icr-store.sql").read_text()
    assert f"CREATE DATABASE {database};" in init
    assert "@postgresql:5432/" in url
    for name in ("worker", "codec-server", "mail-gateway"):
        assert services[name]["env_file"] == ".env", name


def test_the_image_holds_every_package_it_installs() -> None:
    """`pip install .` fails in the image for any package pyproject lists but the image lacks."""
    project = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"packages = \[([^\]]*)\]", project)
    assert packages is not None
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert set(re.findall(r'"(\w+)"', packages.group(1))) <= copied
