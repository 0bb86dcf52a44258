"""Issue 21's outsider attacks, each against a real gateway over real SMTP: a mail that takes
too long to read, connections from strangers when relays are set, a session flood, NOOP
and NOOP against the idle timeout. Its own SQLite store."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib
import pytest
import pytest_asyncio
from temporalio.client import Client

from mailroom.answers import REPLIES_PER_WINDOW
from mailroom.gateway import Gateway, GatewayMisconfigured, check_settings
from mailroom.letter import message_key
from mailroom.triage_desk import show_item
from settings import Settings
from tests.mail import MAILBOX, inquiry, own_store
from tests.support import ROOT, MailSink, eventually, free_port
from tests.test_mailbox_limits import note, send, sorted_as
from tests.test_mailbox_memory import raw_smtp

pytestmark = pytest.mark.usefixtures("worker")


def own(settings: Settings, tmp_path: Path, **update: Any) -> Settings:
    return own_store(settings, tmp_path, **update)


def strict_gateway(settings: Settings, client: Client, tmp_path: Path, idle: float) -> Gateway:
    return Gateway(
        own(
            settings,
            tmp_path,
            inbound_read_seconds=0.05,
            inbound_max_sessions_per_client=3,
            inbound_idle_seconds=idle,
            inbound_health_address=f"127.0.0.1:{free_port()}",
        ),
        lambda: asyncio.sleep(0, client),
        retry_base=0.3,
    )


@pytest_asyncio.fixture
async def strict(settings: Settings, client: Client, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A tight gateway: a 1 s idle timeout, 3 sessions a client, 0.05 s to read a mail."""
    gw = strict_gateway(settings, client, tmp_path, idle=1.0)
    await gw.start()
    yield gw
    await gw.stop()


@pytest_asyncio.fixture
async def slow_reading(
    settings: Settings, client: Client, tmp_path: Path
) -> AsyncIterator[Gateway]:
    """The same, but a client on a busy machine may pause longer between lines of a big DATA."""
    gw = strict_gateway(settings, client, tmp_path, idle=60.0)
    await gw.start()
    yield gw
    await gw.stop()


async def test_a_mail_too_slow_to_read_is_triaged_and_the_next_is_sorted(
    slow_reading: Gateway,
) -> None:
    strict = slow_reading
    heavy = (
        f"From: <slow@example.net>\r\nTo: <{MAILBOX}>\r\nSubject: x\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\nContent-Type: text/html\r\n\r\n"
        + "<p a='b'>x</p>\r\n" * 300_000
        + "\r\n"
    ).encode()
    await send(strict, heavy, "slow@example.net")
    assert (await sorted_as(strict, heavy)).startswith("triage ")
    assert strict.store is not None
    items = await strict.store.triage.list(open_only=True)
    assert [i.reason for i in items] == ["took too long to read"]
    after = note("next@example.net")  # the child was killed and started again
    await send(strict, after, "next@example.net")
    assert (await sorted_as(strict, after)).startswith("triage ")
    assert not strict.sorter.stuck(60) if strict.sorter else False


async def test_sessions_per_client_are_capped(strict: Gateway) -> None:
    held = [aiosmtplib.SMTP(hostname="127.0.0.1", port=strict.port) for _ in range(3)]
    for smtp in held:
        await smtp.connect()
    extra = aiosmtplib.SMTP(hostname="127.0.0.1", port=strict.port)
    with pytest.raises(aiosmtplib.SMTPConnectError, match="421"):
        await extra.connect()
    for smtp in held:
        await smtp.quit()
    await asyncio.sleep(0.2)
    await send(strict, note("after@example.net"), "after@example.net")  # places freed


async def _greeting(port: int, source: str) -> tuple[bytes, asyncio.StreamWriter]:
    """A real connection from ``source`` (any 127.x.y.z is this machine's loopback)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    return await asyncio.wait_for(reader.readline(), 10), writer


async def test_sessions_per_network_are_capped_across_its_addresses(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    """A host with a block of addresses: four from 127.0.0.0/24 fill its network's share;
    a fifth address of it gets 421 naming the network, another /24 still comes in."""
    gw = Gateway(
        own(
            settings,
            tmp_path,
            inbound_max_sessions_per_client=3,
            inbound_max_sessions_per_network=4,
        ),
        lambda: asyncio.sleep(0, client),
    )
    await gw.start()
    held: list[asyncio.StreamWriter] = []
    try:
        for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
            line, writer = await _greeting(gw.port, source)
            held.append(writer)
            assert line.startswith(b"220"), (source, line)
        line, writer = await _greeting(gw.port, "127.0.0.5")
        held.append(writer)
        assert line.startswith(b"421 4.7.0") and b"your network" in line, line
        line, writer = await _greeting(gw.port, "127.0.1.5")
        held.append(writer)
        assert line.startswith(b"220"), "another /24 is another network"
        held.pop(0).close()
        await asyncio.sleep(0.3)
        line, writer = await _greeting(gw.port, "127.0.0.6")
        held.append(writer)
        assert line.startswith(b"220"), "a place freed in the network"
    finally:
        for writer in held:
            writer.close()
        await gw.stop()


async def test_noop_does_not_keep_an_idle_session_open(strict: Gateway) -> None:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=strict.port, timeout=5)
    await smtp.connect()
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        for _ in range(40):  # 8 s of NOOP against a 1 s idle timeout
            await smtp.noop()
            await asyncio.sleep(0.2)


async def test_mail_from_and_rset_do_not_keep_an_idle_session_open(strict: Gateway) -> None:
    """Free commands are no progress: a session kept alive by them once held the session cap."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=strict.port, timeout=5)
    await smtp.connect()
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        for _ in range(40):  # 8 s of MAIL FROM and RSET against a 1 s idle timeout
            await smtp.mail("keepalive@example.net")
            await smtp.rset()
            await asyncio.sleep(0.2)


async def test_a_message_in_flight_is_spooled_unreadable_and_gone_when_dropped(
    strict: Gateway,
) -> None:
    """DATA goes to a file as it arrives, encrypted under the session's own key; a dropped
    connection leaves no file (nor does a refused one: 552 past the size limit)."""
    spool = strict.settings.inbound_spool_dir
    marker = b"A-Number: A123456789 " + uuid.uuid4().hex.encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    await reader.readline()
    for command in (b"HELO x", b"MAIL FROM:<a@example.net>", f"RCPT TO:<{MAILBOX}>".encode()):
        writer.write(command + b"\r\n")
        await reader.readline()
    writer.write(b"DATA\r\n")
    assert (await reader.readline()).startswith(b"354")
    writer.write((marker + b"\r\n") * 2000)  # 100 KB: past the session's buffer, on disk
    await writer.drain()
    files = await eventually(lambda: _spooled(spool), lambda found: sum(found.values()) > 65536)
    assert files and not any(marker in content for content in _read_all(files)), "not in clear"
    writer.close()
    assert await eventually(lambda: _spooled(spool), lambda found: not found) == {}
    lines = strict.settings.inbound_max_bytes // 1000 + 10
    too_big = await raw_smtp(strict.port, "a@b.c", (b"x" * 998 + b"\r\n") * lines)
    assert too_big.startswith(b"552"), too_big
    assert await eventually(lambda: _spooled(spool), lambda found: not found) == {}


async def _spooled(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in folder.glob("data-*")}


def _read_all(files: dict[Path, int]) -> list[bytes]:
    return [path.read_bytes() for path in files]


async def test_only_relays_connect_when_relays_are_set(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    gw = Gateway(
        own(settings, tmp_path, inbound_relays="192.0.2.1"), lambda: asyncio.sleep(0, client)
    )
    await gw.start()
    try:
        with pytest.raises(aiosmtplib.SMTPConnectError, match="554"):
            await send(gw, note("x@example.net"), "x@example.net")
    finally:
        await gw.stop()


def test_production_needs_the_relays_and_their_authserv_id(settings: Settings) -> None:
    prod = settings.model_copy(update={"environment": "production"})
    with pytest.raises(GatewayMisconfigured, match="AUTHSERV"):
        check_settings(prod)
    with pytest.raises(GatewayMisconfigured, match="RELAYS"):
        check_settings(prod.model_copy(update={"inbound_authserv_id": "relay.example"}))
    relayed = prod.model_copy(update={"inbound_authserv_id": "relay.example"})
    for wide in ("10.0.0.0/8", "172.16.0.0/12", "0.0.0.0/0", "10.1.2.3, 2001:db8::/32"):
        with pytest.raises(GatewayMisconfigured, match="wider than a /24"):
            check_settings(relayed.model_copy(update={"inbound_relays": wide}))
    with pytest.raises(GatewayMisconfigured, match="not a list of addresses"):
        check_settings(relayed.model_copy(update={"inbound_relays": "relay.example"}))
    check_settings(relayed.model_copy(update={"inbound_relays": "10.1.2.3, 2001:db8::1"}))
    check_settings(relayed.model_copy(update={"inbound_relays": "172.31.25.0/24"}))


async def test_no_mail_is_taken_while_its_disks_are_short_of_their_floor(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    """A flood of large mails fills no disk: below ICR_INBOUND_MIN_FREE_BYTES the door answers
    452 at MAIL FROM (the sender's server keeps the mail) and stores nothing."""
    floor = shutil.disk_usage(tmp_path).free + 10**12  # more than this disk has
    gw = Gateway(
        own(settings, tmp_path, inbound_min_free_bytes=floor), lambda: asyncio.sleep(0, client)
    )
    await gw.start()
    try:
        raw = note("disk@example.net")
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await send(gw, raw, "disk@example.net")
        assert refused.value.code == 452 and "storage" in refused.value.message
        assert gw.store is not None and await gw.store.inbox.outcome(message_key(raw)) is None
    finally:
        await gw.stop()


def test_a_gateway_misconfigured_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    """A production gateway trusting a whole network, or a relay list that does not parse,
    stops before it takes any mail, naming the setting."""
    for env, named in (
        ({"ICR_INBOUND_RELAYS": "relay.example"}, "not a list of addresses"),
        (
            {
                "ICR_ENVIRONMENT": "production",
                "ICR_SUBJECT_KEY_SECRET": "s" * 48,
                "ICR_INBOUND_AUTHSERV_ID": "relay.example",
                "ICR_INBOUND_RELAYS": "172.16.0.0/12",
            },
            "wider than a /24",
        ),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "mailroom.gateway"],
            env={**os.environ, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1 and lines[0].startswith("mail gateway: ") and named in lines[0]


async def test_auto_replies_to_one_address_are_limited(strict: Gateway, mail: MailSink) -> None:
    """F10: incomplete inquiries in a victim's name from many envelope senders; the victim
    gets at most REPLIES_PER_WINDOW automatic replies."""
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.org"
    sent = []
    for i in range(REPLIES_PER_WINDOW + 3):
        raw = bytes(inquiry({"A-Number": "A123456789"}, sender=victim))
        await send(strict, raw, f"bot{i}@spam.example")
        sent.append(raw)
    for raw in sent:
        assert (await sorted_as(strict, raw)).startswith("incomplete ")
    await asyncio.sleep(1)
    assert len([m for m in mail.received if victim in m.rcpt_tos]) == REPLIES_PER_WINDOW


async def test_health_turns_unhealthy_while_one_mail_sorts_past_its_budget(
    strict: Gateway,
) -> None:
    url = f"http://{strict.settings.inbound_health_address}/health"
    assert strict.sorter is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as ok:
            assert ok.status == 200
        strict.sorter.busy_since = time.monotonic() - 3600  # one mail claimed an hour ago
        async with http.get(url) as stuck:
            assert stuck.status == 503 and (await stuck.json())["status"] == "sorting stuck"
        strict.sorter.busy_since = None


async def test_triage_show_escapes_a_stranger_s_control_characters_and_any_charset(
    strict: Gateway,
) -> None:
    """Findings: ``ESC ] 52`` (a clipboard write) and cursor moves reached the clerk's terminal
    raw; a ``charset=idna`` body could not be shown (UnicodeError, outside the exit table)."""
    raw = (
        f"From: <odd@example.net>\r\nTo: <{MAILBOX}>\r\nSubject: hi\x1b[2K\x1b[1A\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\n"
        "Content-Type: text/plain; charset=idna\r\n\r\n"
        "look \x1b]52;c;ZXZpbA==\x07 here \u202e\r\n"
    ).encode()
    await send(strict, raw, "odd@example.net")
    item_id = (await sorted_as(strict, raw)).split()[1]
    shown = await show_item(strict.settings, item_id)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\u001b]52;c;" in shown and "look" in shown


async def test_triage_show_keeps_a_stranger_s_subject_on_its_line_and_marks_the_text(
    strict: Gateway,
) -> None:
    """Finding: a Subject padded to wrap at 80 columns drew fake ``From:`` and ``Cases:``
    lines under the real ones; a body line could look like a header too."""
    fake = "Re: hello" + " " * 71 + "From:      dana@icr.example" + " " * 53 + "Cases: ICR-X"
    raw = (
        f"From: <pad@example.net>\r\nTo: <{MAILBOX}>\r\nSubject: {fake}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\n\r\n"
        "From:      dana@icr.example\r\nplease assign\r\n"
    ).encode()
    await send(strict, raw, "pad@example.net")
    item_id = (await sorted_as(strict, raw)).split()[1]
    shown = (await show_item(strict.settings, item_id)).splitlines()
    assert all(len(line) <= 80 for line in shown[:6]), shown[:6]
    assert [line for line in shown if line.startswith("From:")] == ["From:      pad@example.net"]
    assert "| From:      dana@icr.example" in shown and "| please assign" in shown


async def test_an_address_another_process_holds_is_named_in_one_line(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    """A second gateway on one host (say, beside `make run`) used to die with a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        held = taken.getsockname()[1]
        for update, named in (
            ({"inbound_health_address": f"127.0.0.1:{held}"}, "ICR_INBOUND_HEALTH_ADDRESS="),
            ({"inbound_smtp_port": held, "inbound_health_address": ""}, "ICR_INBOUND_SMTP_PORT"),
        ):
            gw = Gateway(own(settings, tmp_path, **update), lambda: asyncio.sleep(0, client))
            with pytest.raises(GatewayMisconfigured, match=named) as refused:
                await gw.start()
            await gw.stop()
            assert "cannot be used" in str(refused.value) and "\n" not in str(refused.value)
