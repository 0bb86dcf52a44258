"""``make run``: the whole local stack in one terminal, stopped together by Ctrl-C.

Temporal dev server (SQLite under var/, so cases survive a restart) with its Web UI and the
contract's search attributes, the SMTP sink writing to var/mail/, the case-review worker, the
codec server and the mail gateway of the inquiry mailbox (its store under var/).
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from security.keys import KeyRing
from security.signing import ServiceKey, StampKeys
from settings import DEV_KEY_FILE, DEV_STAMP_KEY_FILE
from tools.devserver import dev_server_command

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent


def _wait_for_port(
    port: int, what: str, proc: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode}; see {VAR}/*.log")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not open port {port} within {timeout:.0f}s")


SERVICES = (
    # Service identities: systems that start cases or decide, each with its own signing key.
    ("svc.intake-gateway", ["INTAKE"]),  # an integrating system's starter
    ("svc.reminders", ["SUPERVISOR"]),  # scheduled reminder rounds
    ("svc.mailroom", ["INTAKE"]),  # the mail gateway: cases and documents from the mailbox
    ("svc.codec", ["INTAKE"]),  # the codec server: who read a case's document
)


def _private_file(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text)


def _dev_tokens(directory: Path) -> dict[str, str]:
    """One codec-server token per person of the development directory, kept under var/."""
    path = VAR / "codec-tokens.json"
    tokens: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    people = [m["id"] for m in json.loads(directory.read_text())["staff"] if not m.get("service")]
    tokens = {p: tokens.get(p) or secrets.token_urlsafe(24) for p in people}
    _private_file(path, json.dumps(tokens, indent=1))
    return tokens


def _dev_directory(source: Path) -> Path:
    """The development directory plus its service identities, whose keys live under var/."""
    staff = json.loads(source.read_text())["staff"]
    for staff_id, roles in SERVICES:
        key_file = VAR / f"service-key.{staff_id}"
        if not key_file.is_file():
            generated = ServiceKey(staff_id, "svc1", Ed25519PrivateKey.generate())
            _private_file(key_file, generated.spec())
        key = ServiceKey.parse(key_file.read_text())
        staff.append({"id": staff_id, "roles": roles, "service": True, "public_keys": key.public()})
    target = VAR / "staff-directory.json"
    target.write_text(json.dumps({"staff": staff}, indent=1))
    return target


def _in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    VAR.mkdir(exist_ok=True)
    grpc_port = int(os.environ.get("ICR_TEMPORAL_PORT", "7233"))
    ui_port = int(os.environ.get("ICR_UI_PORT", "8233"))
    smtp_port = int(os.environ.get("SMTP_PORT", "1025"))
    codec_port = int(os.environ.get("ICR_CODEC_PORT", "8234"))
    directory = (
        Path(os.environ["ICR_STAFF_DIRECTORY"])
        if os.environ.get("ICR_STAFF_DIRECTORY")
        else _dev_directory(ROOT / "config" / "staff-directory.json")
    )
    tokens = _dev_tokens(directory)
    inbound_port = int(os.environ.get("ICR_INBOUND_SMTP_PORT", "2525"))
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": f"localhost:{grpc_port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ICR_NOTICE_LEDGER": str(VAR / "notice-ledger.sqlite3"),
        "ICR_STAFF_DIRECTORY": str(directory),
        "ICR_CODEC_ADDRESS": f"127.0.0.1:{codec_port}",
        "ICR_CODEC_UI_ORIGIN": f"http://localhost:{ui_port}",
        "ICR_CODEC_TOKENS": os.environ.get("ICR_CODEC_TOKENS")
        or ",".join(f"{who}:{token}" for who, token in tokens.items()),
        "ICR_INBOUND_SMTP_PORT": str(inbound_port),
        "ICR_DOCUMENTS_DIR": str(VAR / "documents"),
    }
    if not os.environ.get("ICR_STAMP_KEY_FILE"):
        stamp_keys = (
            StampKeys.load(DEV_STAMP_KEY_FILE)
            if DEV_STAMP_KEY_FILE.is_file()
            else StampKeys.generate(DEV_STAMP_KEY_FILE)
        )
        env["ICR_STAMP_KEY_FILE"] = str(DEV_STAMP_KEY_FILE)
        env["ICR_STAMP_PUBLIC_KEYS"] = stamp_keys.public_spec()
    if not (os.environ.get("ICR_PAYLOAD_KEYS") or os.environ.get("ICR_PAYLOAD_KEY_FILE")):
        if not DEV_KEY_FILE.is_file():
            KeyRing.generate(DEV_KEY_FILE)
        env["ICR_PAYLOAD_KEY_FILE"] = str(DEV_KEY_FILE)
    server_cmd = dev_server_command(
        port=grpc_port,
        db_file=VAR / "temporal.db",
        ui_port=ui_port,
        codec_endpoint=f"http://localhost:{codec_port}",
    )
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(name: str, cmd: list[str], service: str | None = None) -> subprocess.Popen[bytes]:
        """``service``: the identity the process signs its decisions as (its key under var/)."""
        log = (VAR / f"{name}.log").open("ab")
        own = (
            {**env, "ICR_SERVICE_KEY_FILE": str(VAR / f"service-key.{service}")} if service else env
        )
        proc = subprocess.Popen(cmd, cwd=ROOT, env=own, stdout=log, stderr=subprocess.STDOUT)
        procs.append((name, proc))
        return proc

    def stop_all(*_: object) -> None:
        for name, proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if name != "temporal" else signal.SIGTERM)
        for name, proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            print(f"stopped {name}", flush=True)

    ports = (
        (grpc_port, "Temporal gRPC"),
        (ui_port, "Temporal UI"),
        (smtp_port, "SMTP"),
        (codec_port, "codec server"),
        (inbound_port, "mail gateway"),
    )
    for port, what in ports:
        if _in_use(port):
            raise SystemExit(f"port {port} ({what}) is already in use: is another stack running?")
    # Ctrl-C and SIGTERM both stop the stack, even when started from a script that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server = start("temporal", server_cmd)
        _wait_for_port(grpc_port, "temporal dev server", server)
        sink = start(
            "mail-sink",
            [
                sys.executable,
                "-m",
                "tools.mail_sink",
                "--port",
                str(smtp_port),
                "--dir",
                str(VAR / "mail"),
            ],
        )
        _wait_for_port(smtp_port, "mail sink", sink)
        codec = start("codec-server", [sys.executable, "-m", "codec_server"], "svc.codec")
        _wait_for_port(codec_port, "codec server", codec)
        # The namespace's Schedules (daily reminder round, backlog report), as compose's setup.
        subprocess.run(
            [sys.executable, "starter.py", "setup"], cwd=ROOT, env=env, check=True, timeout=60
        )
        # The worker's scheduled reminder rounds are signed as their own service identity.
        env.setdefault("ICR_SCHEDULE_ACTOR", "svc.reminders")
        start("worker", [sys.executable, "worker.py"], "svc.reminders")
        gateway = start("mail-gateway", [sys.executable, "-m", "mailroom.gateway"], "svc.mailroom")
        _wait_for_port(inbound_port, "mail gateway", gateway)
        mailbox = env.get("ICR_INQUIRY_MAILBOX", "sro-inquiries@icr.example")
        print(
            "\nICR local stack is up:\n"
            f"  Temporal gRPC   localhost:{grpc_port}  (database {VAR / 'temporal.db'})\n"
            f"  Temporal Web UI http://localhost:{ui_port}\n"
            f"  Mail sink       smtp://127.0.0.1:{smtp_port}  -> {VAR / 'mail'}/\n"
            f"  Worker          task queue {env.get('ICR_TASK_QUEUE', 'case-review')}, "
            f"metrics http://{env.get('ICR_METRICS_ADDRESS', '127.0.0.1:9464')}/metrics, "
            f"health http://{env.get('ICR_HEALTH_ADDRESS', '127.0.0.1:9465')}/health\n"
            "  Schedules       icr-daily-reminder-round, icr-daily-backlog-report "
            f"(http://localhost:{ui_port}/namespaces/default/schedules)\n"
            f"  Codec server    http://localhost:{codec_port} (payloads are encrypted with "
            f"{env.get('ICR_PAYLOAD_KEY_FILE') or 'ICR_PAYLOAD_KEYS'})\n"
            f"    staff sign-in http://localhost:{codec_port}/sign-in  (paste your token; "
            "tokens stay out of URLs)\n"
            + "".join(f"      {who:16} {token}\n" for who, token in tokens.items())
            + "    then in the UI: Codec Server (top bar) > Use my browser setting > endpoint "
            f"http://localhost:{codec_port}, Include cross-origin credentials > Apply\n"
            f"  Mail gateway    smtp://127.0.0.1:{inbound_port}  mailbox {mailbox} "
            f"(store {VAR / 'notice-ledger.sqlite3'}, documents {VAR / 'documents'}/)\n"
            f"  Staff directory {env['ICR_STAFF_DIRECTORY']}\n"
            f"  Logs            {VAR}/temporal.log, mail-sink.log, codec-server.log, worker.log, "
            "mail-gateway.log\n"
            "Try: ICR_SERVICE_KEY_FILE=var/service-key.svc.intake-gateway "
            ".venv/bin/python starter.py submit examples/local-review.json\n"
            f"     ICR_CODEC_ENDPOINT=http://localhost:{codec_port} ICR_STAFF_TOKEN=<token> "
            '.venv/bin/python starter.py decide CASE_ID add_note \'{"text": "…"}\'\n'
            "     .venv/bin/python starter.py mail-example   (an SRO inquiry by e-mail)\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        while all(proc.poll() is None for _, proc in procs):
            time.sleep(0.5)
        dead = [name for name, proc in procs if proc.poll() is not None]
        print(f"{', '.join(dead)} exited; stopping the stack (see {VAR}/*.log)", flush=True)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stop_all()


if __name__ == "__main__":
    main()
