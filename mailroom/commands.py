"""The command line's mailbox commands: ``triage list|show|assign``, ``mail-example`` and
``documents reads`` (the store's access log of a case's documents)."""

import argparse
from email.utils import parseaddr
from typing import Any

import aiosmtplib

from cli_exits import InputError
from domain.case_id import is_case_id
from mailroom import triage_desk
from mailroom.example import example_inquiry
from settings import Settings
from store.shared import Store


async def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.action == "list":
            items = await triage_desk.list_items(settings, everything=args.all)
            print(triage_desk.as_json(items))
        elif args.action == "show":
            print(await triage_desk.show_item(settings, args.item_id))
        else:
            if not (args.case_id and args.actor):
                raise InputError("triage assign needs ITEM_ID CASE_ID --actor STAFF_ID")
            outcome = await triage_desk.assign_item(
                settings, args.item_id, args.case_id, args.actor
            )
            print(outcome)
    except triage_desk.TriageError as exc:
        raise InputError(f"triage: {exc}") from None
    return 0


async def cmd_mail_example(args: argparse.Namespace, settings: Settings) -> int:
    """Send the example inquiry (docs/mailbox.md) to the local gateway (no swaks needed)."""
    message = example_inquiry(settings.inquiry_mailbox)
    host, port = args.host or settings.inbound_smtp_host, args.port or settings.inbound_smtp_port
    # its bytes as built, so a second run is the same mail (the inbox key hashes the bytes)
    _, answer = await aiosmtplib.send(
        bytes(message),
        sender=parseaddr(str(message["From"]))[1],
        recipients=[settings.inquiry_mailbox],
        hostname=host,
        port=port,
    )
    print(f"{host}:{port} answered: {answer}")
    return 0


async def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    """Every read of the case's documents, from the store's log: closed cases' too."""
    if not is_case_id(args.case_id):
        raise InputError(f"documents reads: {args.case_id!r} is not a case id (ICR-XXXXXXXXXXXX)")
    store = await Store.open(settings)
    try:
        reads = await store.reads.of_case(args.case_id)
    finally:
        await store.close()
    print(triage_desk.as_json([r.model_dump(mode="json") for r in reads]))
    return 0


def add_mailbox_commands(sub: Any) -> None:
    """Adds the commands to the CLI's subparsers (``sub``)."""
    p = sub.add_parser("triage", help="mail the gateway could not attach: list, show, assign")
    p.add_argument("action", choices=["list", "show", "assign"])
    p.add_argument("item_id", nargs="?", default="")
    p.add_argument("case_id", nargs="?", default="")
    p.add_argument("--actor", help="assign: the intake staff id attaching it (ICR_STAFF_TOKEN's)")
    p.add_argument("--all", action="store_true", help="list: assigned items too")
    p.set_defaults(run=cmd_triage)
    p = sub.add_parser("mail-example", help="send the example inquiry e-mail to the gateway")
    p.add_argument("--host", help="default ICR_INBOUND_SMTP_HOST")
    p.add_argument("--port", type=int, help="default ICR_INBOUND_SMTP_PORT")
    p.set_defaults(run=cmd_mail_example)
    p = sub.add_parser("documents", help="documents: `reads CASE_ID` lists every read (access log)")
    p.add_argument("action", choices=["reads"])
    p.add_argument("case_id")
    p.set_defaults(run=cmd_documents)
