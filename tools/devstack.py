"""``make run``: the whole local stack in one terminal, stopped together by Ctrl-C.

Temporal dev server (SQLite under var/, so cases survive a restart) with its Web UI and the
contract's search attributes, the SMTP sink writing to var/mail/, the case-review worker, the
codec server and the mail gateway of the inquiry mailbox (its store under var/).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from security.keys import KeyRing
from settings import DEV_KEY_FILE
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


def _dev_token() -> str:
    """A staff token for the codec server, kept under var/ between runs."""
    path = VAR / "codec-token"
    if not path.is_file():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    return path.read_text().strip()


def _in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    VAR.mkdir(exist_ok=True)
    grpc_port = int(os.environ.get("ICR_TEMPORAL_PORT", "7233"))
    ui_port = int(os.environ.get("ICR_UI_PORT", "8233"))
    smtp_port = int(os.environ.get("SMTP_PORT", "1025"))
    codec_port = int(os.environ.get("ICR_CODEC_PORT", "8234"))
    inbound_port = int(os.environ.get("ICR_INBOUND_SMTP_PORT", "2525"))
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": f"localhost:{grpc_port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ICR_NOTICE_LEDGER": str(VAR / "notice-ledger.sqlite3"),
        "ICR_STAFF_DIRECTORY": os.environ.get(
            "ICR_STAFF_DIRECTORY", str(ROOT / "config" / "staff-directory.json")
        ),
        "ICR_CODEC_ADDRESS": f"127.0.0.1:{codec_port}",
        "ICR_CODEC_UI_ORIGIN": f"http://localhost:{ui_port}",
        "ICR_CODEC_TOKENS": os.environ.get("ICR_CODEC_TOKENS") or f"sro.reviewer1:{_dev_token()}",
        "ICR_INBOUND_SMTP_PORT": str(inbound_port),
        "ICR_DOCUMENTS_DIR": str(VAR / "documents"),
    }
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

    def start(name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        log = (VAR / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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
        codec = start("codec-server", [sys.executable, "-m", "security.codec_server"])
        _wait_for_port(codec_port, "codec server", codec)
        start("worker", [sys.executable, "worker.py"])
        gateway = start("mail-gateway", [sys.executable, "-m", "mailroom.gateway"])
        _wait_for_port(inbound_port, "mail gateway", gateway)
        mailbox = env.get("ICR_INQUIRY_MAILBOX", "sro-inquiries@icr.example")
        print(
            "\nICR local stack is up:\n"
            f"  Temporal gRPC   localhost:{grpc_port}  (database {VAR / 'temporal.db'})\n"
            f"  Temporal Web UI http://localhost:{ui_port}\n"
            f"  Mail sink       smtp://127.0.0.1:{smtp_port}  -> {VAR / 'mail'}/\n"
            f"  Worker          task queue {env.get('ICR_TASK_QUEUE', 'case-review')}, "
            f"metrics http://{env.get('ICR_METRICS_ADDRESS', '127.0.0.1:9464')}/metrics\n"
            f"  Codec server    http://localhost:{codec_port} (payloads are encrypted with "
            f"{env.get('ICR_PAYLOAD_KEY_FILE') or 'ICR_PAYLOAD_KEYS'})\n"
            f"    staff sign-in http://localhost:{codec_port}/login?token="
            f"{env['ICR_CODEC_TOKENS'].split(',')[0].rpartition(':')[2]}\n"
            "    then in the UI: Codec Server (top bar) > Use my browser setting > endpoint "
            f"http://localhost:{codec_port}, Include cross-origin credentials > Apply\n"
            f"  Mail gateway    smtp://127.0.0.1:{inbound_port}  mailbox {mailbox} "
            f"(store {VAR / 'notice-ledger.sqlite3'}, documents {VAR / 'documents'}/)\n"
            f"  Staff directory {env['ICR_STAFF_DIRECTORY']}\n"
            f"  Logs            {VAR}/temporal.log, mail-sink.log, codec-server.log, worker.log, "
            "mail-gateway.log\n"
            "Try: .venv/bin/python starter.py submit examples/local-review.json\n"
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
