"""Reading one inbound mail: who sent it, what it answers, its text and its attachments.

Built for hostile input: any bytes parse (the standard library's parser records defects rather
than failing), headers in any charset are read with replacement, nesting and part counts are
bounded, broken base64 or a type that its bytes contradict turns into a named refusal, and
archives are never expanded (they are simply not an allowed type).
"""

import codecs
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from mailroom import params
from mailroom.html_text import html_to_text

params.install()  # every message this process reads: parameters split in linear time

MAX_PARTS = 200
MAX_ATTACHMENTS = 20
MAX_DEPTH = 12
_CASE_TAG = re.compile(r"\[(ICR-[0-9A-HJKMNP-TV-Z]{12})\]")
_NOTICE_ID = re.compile(r"<(ICR-[0-9A-HJKMNP-TV-Z]{12})\.[^<>@\s]{1,200}@icr\.case-review>")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")

# The allowed types and the first bytes each must start with: a declared type the bytes
# contradict is refused (a renamed executable does not pass as a PDF).
ALLOWED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "text/plain": (),
}


@dataclass(frozen=True)
class Attachment:
    content_type: str
    data: bytes
    #: only to tell the kind of a form (never stored, never logged)
    filename: str


@dataclass(frozen=True)
class Refused:
    """An attachment not taken, and why (said back to the sender; no content)."""

    content_type: str
    reason: str


@dataclass
class Letter:
    message_id: str | None
    sender: str | None
    subject: str
    references: list[str]
    auto_submitted: bool
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def case_ids(self) -> list[str]:
        """Cases it answers: notice Message-IDs first, then a ``[ICR-…]`` subject tag."""
        found: list[str] = []
        for ref in self.references:
            match = _NOTICE_ID.fullmatch(ref)
            if match and match.group(1) not in found:
                found.append(match.group(1))
        for tag in _CASE_TAG.findall(self.subject):
            if tag not in found:
                found.append(tag)
        return found


TRACE_FIELDS = frozenset(
    {
        b"received",  # each hop (RFC 5321 section 4.4)
        b"return-path",  # the envelope sender, written at final delivery
        b"delivered-to",  # Postfix and others, at local delivery
        b"x-original-to",  # Postfix, with Delivered-To
        b"x-received",  # Google's hops
        b"received-spf",  # an SPF checker on the way (RFC 7208)
        b"authentication-results",  # a verifier on the way (RFC 8601)
        b"x-virus-scanned",  # a filter on the way (amavis and others)
        b"dkim-signature",  # a forwarder's own signature, prepended (RFC 6376)
    }
)
"""Header fields that relays and their filters prepend on the way, not the sender's: the same
inquiry relayed again (a retry by another path, a forward, a re-delivery) differs only in
these. With the families of ``TRACE_PREFIXES`` they are left out of the content hash, and only
in the block at the top of the header where relays put them (RFC 5321 4.4): a field of the
same name below the sender's own fields is content."""
TRACE_PREFIXES = (b"arc-", b"x-spam-", b"x-virus-")
"""Families of such fields: ARC sets (RFC 8617, each forwarding relay), spam and virus
filters' verdicts (SpamAssassin, amavis, rspamd) prepended on the way."""
MAX_TRACE_LINES = 2000
"""Lines of that top block looked at, at most: a hop count far past any real path (MTAs refuse
mail past about 100 hops), so the work before the hash is bounded whatever the mail."""


def _trace_end(plain: bytes) -> int:
    """Where the sender's own header starts in ``plain`` (LF line ends): past the leading
    trace fields and their folded lines. One ``find`` per line, at most MAX_TRACE_LINES lines
    in all (folded ones count): past the bound the rest is content."""
    pos = field = 0
    for _ in range(MAX_TRACE_LINES):
        end = plain.find(b"\n", pos)
        end = len(plain) if end < 0 else end
        if 0 < pos < len(plain) and plain[pos] in b" \t":  # folded: of the field before
            pos = end + 1
            continue
        colon = plain.find(b":", pos, min(end, pos + 100))  # a field name is short
        name = plain[pos:colon].strip().lower() if colon > 0 else b""
        if not name or not (name in TRACE_FIELDS or name.startswith(TRACE_PREFIXES)):
            return pos
        field, pos = pos, end + 1
    return field  # cut by the bound: the last field begun and all after it are content


def message_key(raw: bytes) -> str:
    """The inbox key: the Message-ID with From and Date when there is a sane one, and always a
    hash of the content: the bytes as received from the first field that is not a relay's
    trace (``TRACE_FIELDS``) on, line endings aside (SMTP carries CRLF whatever was typed).

    A relay's retry, or the same inquiry relayed again by another path (another Received line,
    Return-Path, Authentication-Results), is recognised; a stranger who sends first with a
    real inquiry's Message-ID, From and Date but other bytes makes a mail of its own (F9).
    """
    # bytes.replace makes one copy; a pattern's sub would hold a piece per line (~40x)
    plain = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").rstrip(b"\n")
    start = _trace_end(plain)
    with memoryview(plain) as view:  # hashed in place: no second copy of the content
        content = hashlib.sha256(view[start:]).hexdigest()
    head = plain[start : start + 65536]
    del plain
    try:
        headers = email.message_from_bytes(head.split(b"\n\n", 1)[0])
        mid = _header(headers, "Message-ID").strip()
        who = _header(headers, "From").strip() + "\0" + _header(headers, "Date").strip()
    except Exception:  # any bytes at all: fall back to their hash
        mid = who = ""
    if _MESSAGE_ID.fullmatch(mid):
        named = f"{mid}\0{who}\0{content}".encode("utf-8", "replace")
        return "mid:" + hashlib.sha256(named).hexdigest()
    return "raw:" + content


def sender_verified(raw: bytes, authserv_id: str) -> bool:
    """Whether the trusted relay (``authserv_id``) says DMARC passed for the From domain.

    Only the topmost Authentication-Results header counts, and only if it is the relay's: the
    relay prepends its own and removes any that claim its name (RFC 8601), so one a sender
    wrote sits below it and is never read.
    """
    message = email.message_from_bytes(re.split(rb"\r?\n\r?\n", raw[:262144], maxsplit=1)[0])
    try:
        results = message.get_all("Authentication-Results") or []
    except (HeaderParseError, ValueError, TypeError):
        return False
    if not results:
        return False
    top = " ".join(str(results[0]).split())
    serv, _, verdicts = top.partition(";")
    if serv.strip().split()[0:1] != [authserv_id]:
        return False
    sender = _sender(message)
    domain = sender.rpartition("@")[2] if sender else ""
    for verdict in verdicts.split(";"):
        words = verdict.strip().lower().split()
        if words[:1] == ["dmarc=pass"] and f"header.from={domain}" in words:
            return bool(domain)
    return False


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (HeaderParseError, ValueError, IndexError, TypeError, AttributeError):
        return ""
    if value is None:
        return ""
    try:
        return str(value)
    except (HeaderParseError, ValueError, LookupError, AttributeError):
        return ""


_SLOW_CODECS = frozenset({"punycode", "idna"})
"""Codecs whose decoding is far worse than linear in the input (Python's punycode, which idna
uses per label: 200 KB took 14 s, 400 KB 75 s); every other text codec Python knows is linear.
A stranger's mail that names one is read as UTF-8 instead (with replacement)."""


def readable_charset(declared: str | None) -> str:
    """The codec to read a stranger's text with: the declared charset when it is a text codec
    of linear cost, else UTF-8 (unknown names, ``punycode``, ``idna``)."""
    try:
        name = codecs.lookup(declared or "utf-8").name
    except (LookupError, ValueError, TypeError):
        return "utf-8"
    return "utf-8" if name in _SLOW_CODECS else name


def _decoded_header(value: str) -> str:
    """RFC 2047 words decoded, each in a readable charset; any trouble leaves the raw text."""
    try:
        words = [
            (chunk, readable_charset(charset) if charset else charset)
            for chunk, charset in decode_header(value)
        ]
        return str(make_header(words))
    except (HeaderParseError, ValueError, LookupError, UnicodeError):
        return value


def _address(value: str) -> str | None:
    _, addr = parseaddr(value)
    addr = addr.strip().lower()
    return addr if "@" in addr and len(addr) <= 320 else None


def _decoded_text(part: Message, data: bytes) -> str:
    try:
        return data.decode(readable_charset(part.get_content_charset()), errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):  # not a text codec after all
        return data.decode("utf-8", errors="replace")


def _sniff_ok(content_type: str, data: bytes) -> bool:
    magic = ALLOWED[content_type]
    if not magic:  # text: must decode as text, not be a binary in disguise
        return b"\x00" not in data[:8192]
    return any(data.startswith(m) for m in magic)


def _base64_broken(part: Message) -> bool:
    return any("Base64" in type(d).__name__ for d in part.defects)


class UnreadableMail(ValueError):
    """Structure the parser cannot be trusted with (the stdlib parser recurses per level)."""


_MULTIPART = re.compile(rb"(?i)content-type:\s*multipart/")


def read_letter(raw: bytes) -> Letter:
    if len(_MULTIPART.findall(raw)) > MAX_PARTS // 2:
        raise UnreadableMail("too many multipart levels or parts")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        raise UnreadableMail("nested too deeply") from None
    references = _MESSAGE_ID.findall(
        _header(message, "In-Reply-To") + " " + _header(message, "References")
    )
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    mid = _header(message, "Message-ID").strip()
    letter = Letter(
        message_id=mid if _MESSAGE_ID.fullmatch(mid) else None,
        sender=_sender(message),
        subject=_decoded_header(_header(message, "Subject"))[:1000],
        references=references[:50],
        auto_submitted=(auto not in ("", "no")) or precedence in ("bulk", "list", "junk"),
        text="",
    )
    texts: list[str] = []
    _walk(message, letter, texts, depth=0, seen=[0])
    letter.text = "\n".join(texts)[:200_000]
    return letter


def _sender(message: Message) -> str | None:
    """The From address; more than one is ambiguous and counts as none."""
    froms = [a for _, a in getaddresses([_header(message, "From")]) if a]
    return _address(froms[0]) if len(froms) == 1 else None


def _walk(part: Message, letter: Letter, texts: list[str], depth: int, seen: list[int]) -> None:
    seen[0] += 1
    if seen[0] > MAX_PARTS or depth > MAX_DEPTH:
        if "too many parts" not in letter.problems:
            letter.problems.append("too many parts")
        return
    if part.is_multipart():
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _walk(child, letter, texts, depth + 1, seen)
        return
    try:
        content_type = part.get_content_type().lower()
    except (HeaderParseError, ValueError, LookupError, TypeError, UnicodeError):
        content_type = "application/octet-stream"
    disposition = (_header(part, "Content-Disposition").split(";", 1)[0]).strip().lower()
    filename = ""
    try:
        filename = str(part.get_filename() or "")
    except (HeaderParseError, ValueError, LookupError, TypeError, UnicodeError):
        filename = ""
    is_body = disposition != "attachment" and not filename
    data = part.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    if is_body and content_type in ("text/plain", "text/html"):
        text = _decoded_text(part, data)
        texts.append(html_to_text(text) if content_type == "text/html" else text)
        return
    if content_type == "message/rfc822" or content_type.startswith("multipart/"):
        return  # an attached mail is not opened: it is not an allowed type either
    if content_type not in ALLOWED:
        letter.refused.append(Refused(content_type[:100], "type not accepted"))
    elif _base64_broken(part):
        letter.refused.append(Refused(content_type, "could not be decoded (broken base64)"))
    elif not data:
        letter.refused.append(Refused(content_type, "empty"))
    elif not _sniff_ok(content_type, data):
        letter.refused.append(Refused(content_type, "contents do not match the declared type"))
    elif len(letter.attachments) >= MAX_ATTACHMENTS:
        letter.refused.append(Refused(content_type, f"more than {MAX_ATTACHMENTS} attachments"))
    else:
        letter.attachments.append(Attachment(content_type, data, filename[:300]))
