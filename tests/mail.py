"""Test mail: the example inquiry, replies with attachments, and odd MIME built by hand."""

import base64
import secrets
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any

from mailroom.example import EXAMPLE_FIELDS
from settings import Settings
from tests.conftest import as_service
from tests.support import free_port

_REPRESENTED = ("Representative", "Authorization")
INQUIRY_FIELDS = {  # docs/inquiry-email.md's example, sent by the person herself
    **{
        k: v
        for k, v in EXAMPLE_FIELDS.items()
        if k.split()[0] not in ("Representative", "Authorization")
    },
    "Phone": "(212) 555-0143",
    "Email": "maria.lopez@example.org",
}
REQUESTOR = "maria.lopez@example.org"


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n" + secrets.token_bytes(3000) + b"\n%%EOF\n"


def body_of(fields: dict[str, str]) -> str:
    return "Dear SRO,\n\n" + "\n".join(f"{k}: {v}" for k, v in fields.items()) + "\n\nThanks\n"


def inquiry(
    fields: dict[str, str] | None = None,
    sender: str = REQUESTOR,
    attachments: list[tuple[bytes, str, str]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Sender <{sender}>"
    message["To"] = "sro-inquiries@icr.example"
    message["Subject"] = "SRO inquiry"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content(body_of(INQUIRY_FIELDS if fields is None else fields))
    for data, content_type, name in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def reply(
    case_id: str,
    sender: str,
    text: str = "Please find the document attached.",
    attachments: list[tuple[bytes, str, str]] = (),  # type: ignore[assignment]
    in_reply_to: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sro-inquiries@icr.example"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    if in_reply_to:
        message["Subject"] = "Re: your notice"
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    else:
        message["Subject"] = f"Re: [{case_id}] Information needed"
    message.set_content(text)
    for data, content_type, name in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def odd_mime(case_id: str, sender: str, pdf: bytes) -> bytes:
    """Nested multiparts, a Latin-1 header in raw 8 bits, broken base64, a ZIP archive."""
    good = base64.encodebytes(pdf).decode()
    zip_bytes = base64.encodebytes(b"PK\x03\x04" + secrets.token_bytes(64)).decode()
    return (
        f"From: =?iso-8859-1?q?Jos=E9?= <{sender}>\r\n"
        "To: sro-inquiries@icr.example\r\n"
        f"Subject: Re: [{case_id}] Fran\xe7ais pi\xe8ces jointes\r\n"
        f"Message-ID: <odd-{secrets.token_hex(6)}@mail.example.org>\r\n"
        "X-Odd: \xff\xfe\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\n"
        'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        "--inner\r\n"
        "Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
        "Voil\xe0 les documents.\r\n"
        "--inner\r\n"
        'Content-Type: multipart/related; boundary="deep"\r\n\r\n'
        "--deep\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Voil\xc3\xa0</p>\r\n"
        "--deep--\r\n"
        "--inner--\r\n"
        "--outer\r\n"
        'Content-Type: application/pdf; name="scan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="scan.pdf"\r\n\r\n'
        f"{good}\r\n"
        "--outer\r\n"
        'Content-Type: image/png; name="broken.png"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="broken.png"\r\n\r\n'
        "iVBORw0KGgo!!!!not*base64***\r\n"
        "--outer\r\n"
        'Content-Type: application/zip; name="docs.zip"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="docs.zip"\r\n\r\n'
        f"{zip_bytes}\r\n"
        "--outer--\r\n"
    ).encode("latin-1")


RELAY_AUTHSERV_ID = "relay.icr.example"
RELAYED = {"inbound_authserv_id": RELAY_AUTHSERV_ID, "inbound_relays": "127.0.0.1"}
"""Gateway settings for a relay at the tests' own address: only its word proves a sender."""


def relayed(message: EmailMessage | bytes) -> bytes:
    """The message as the agency's relay hands it on once DMARC passed for its From domain:
    the relay's own Authentication-Results on top (believed only from a relay's address)."""
    raw = bytes(message)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    sender = next(
        line.split(b":", 1)[1].decode("ascii", "replace")
        for line in head.splitlines()
        if line.lower().startswith(b"from:")
    )
    domain = parseaddr(sender)[1].rpartition("@")[2].lower()
    verdict = f"Authentication-Results: {RELAY_AUTHSERV_ID}; dmarc=pass header.from={domain}\r\n"
    return verdict.encode() + raw


MAILBOX = "sro-inquiries@icr.example"


def own_store(settings: Settings, tmp_path: Path, **update: Any) -> Settings:
    """A mail gateway's settings on a SQLite store, documents and spool of its own under
    ``tmp_path``, on a free port, as the gateway's service identity; ``update`` on top."""
    return as_service(settings, "svc.mailroom").model_copy(
        update={
            "database_url": None,
            "notice_ledger": tmp_path / "store.sqlite3",
            "documents_dir": tmp_path / "documents",
            "inbound_spool_dir": tmp_path / "spool",
            "inbound_smtp_port": free_port(),
            "inquiry_mailbox": MAILBOX,
            **update,
        }
    )
