"""A local SMTP sink on loopback: every message it receives becomes a file under a folder.

``python -m tools.mail_sink --port 1025 --dir var/mail``. For development only: it accepts
mail for any address and relays nothing.
"""

import argparse
import asyncio
import hashlib
import signal
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        digest = hashlib.sha256(content).hexdigest()[:10]
        header = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        (self.folder / f"{stamp}-{digest}.eml").write_bytes(header.encode() + content)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, folder: Path) -> None:
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    print(f"mail sink: smtp://{host}:{port} -> {folder}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
