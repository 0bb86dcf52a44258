"""Command line for integrating systems, staff and operators.

``python starter.py submit FILE.json`` (``-`` for standard input) prints
``{"case_id", "workflow_id", "run_id"}``; invalid input exits 2 naming every offending field.
"""

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import aiosmtplib
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

import logs
from caseload.bulk import Change, reassign, reminder_round
from caseload.queries import CaseFilter, counts, find_cases, row, subject_filter
from clients import connect
from domain.decisions import DECISIONS
from domain.errors import describe
from domain.field_office import FieldOffice
from domain.inquiry import Submission
from domain.stage import Stage
from intake import SubmissionConflict, submit
from mailroom import triage_desk
from mailroom.example import example_inquiry
from settings import Settings, get_settings

EXIT_INVALID = 2
EXIT_REJECTED = 3


class InputError(Exception):
    """Bad input from the caller: printed as is, exit status 2."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _read_json(source: str) -> Any:
    """A JSON document from a file, ``-`` (stdin) or, for decisions, an inline object."""
    if source == "-":
        text = sys.stdin.read()
    elif source.lstrip().startswith("{"):
        text = source
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError([f"input: no such file {source!r}"])
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([f"input: not valid JSON ({exc})"]) from None


def parse_submission(source: str) -> Submission:
    try:
        return Submission.model_validate(_read_json(source))
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


async def cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    submission = parse_submission(args.file)
    client = await connect(settings)
    try:
        result = await submit(client, submission, settings)
    except SubmissionConflict as exc:
        raise InputError([f"request_id: {exc}"]) from None
    _print(result.model_dump(include={"case_id", "workflow_id", "run_id"}))
    return 0


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    status = await client.get_workflow_handle(args.case_id).query("status")
    _print(status)
    return 0


async def cmd_decide(args: argparse.Namespace, settings: Settings) -> int:
    payload = _read_json(args.payload)
    client = await connect(settings)
    handle = client.get_workflow_handle(args.case_id)
    try:
        status = await handle.execute_update(args.decision, payload)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        print(f"rejected: {getattr(cause, 'message', cause)}", file=sys.stderr)
        return EXIT_REJECTED
    _print(status)
    return 0


def _filter(args: argparse.Namespace) -> CaseFilter:
    return CaseFilter(
        stage=Stage(args.stage) if args.stage else None,
        office=FieldOffice(args.office) if args.office else None,
        reviewer=args.reviewer,
        detained=args.detained,
        overdue=args.overdue,
        closed_since=args.closed_since,
    )


def _table(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        _print(rows)
        return
    columns = [
        "case_id",
        "status",
        "stage",
        "field_office",
        "reviewer",
        "detained",
        "next_deadline",
    ]
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns) + "  OVERDUE")
    for r in rows:
        line = "  ".join(str(r[c]).ljust(widths[c]) for c in columns)
        print(line + ("  yes" if r["overdue"] else ""))


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    now = datetime.now(UTC)
    found = await find_cases(client, _filter(args), limit=args.limit)
    _table([row(wf, now) for wf in found], args.json)
    return 0


async def cmd_find(args: argparse.Namespace, settings: Settings) -> int:
    try:
        case_filter = subject_filter(
            args.a_number, settings.subject_key_secret, settings.previous_subject_secrets
        )
    except ValueError as exc:
        raise InputError([f"a_number: {exc}"]) from None
    client = await connect(settings)
    _table([row(wf) for wf in await find_cases(client, case_filter)], args.json)
    return 0


async def cmd_counts(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    result = await counts(client)
    if args.json:
        _print(result)
        return 0
    for title, table in (
        ("stage", result["by_stage"]),
        ("open by office", result["open_by_office"]),
    ):
        print(f"{title.upper()}")
        for key, value in table.items():
            print(f"  {key:22} {value}")
    return 0


def _changes(changes: list[Change], as_json: bool) -> int:
    if as_json:
        _print([c.model_dump() for c in changes])
    else:
        for c in changes:
            print(f"{c.case_id}  {c.outcome:8}  {c.action}  {c.detail}".rstrip())
        print(f"{len(changes)} case(s)")
    return 1 if any(c.outcome == "rejected" for c in changes) else 0


async def cmd_reassign(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    changes = await reassign(
        client, args.from_reviewer, args.to_reviewer, args.actor, dry_run=args.dry_run
    )
    return _changes(changes, args.json)


async def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    changes = await reminder_round(
        client, _filter(args), args.actor, round_id=args.round, dry_run=args.dry_run
    )
    return _changes(changes, args.json)


async def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.action == "list":
            items = await triage_desk.list_items(settings, everything=args.all)
            print(triage_desk.as_json(items))
        elif args.action == "show":
            print(await triage_desk.show_item(settings, args.item_id))
        else:
            if not (args.case_id and args.actor):
                raise InputError(["triage assign needs ITEM_ID CASE_ID --actor STAFF_ID"])
            outcome = await triage_desk.assign_item(
                settings, args.item_id, args.case_id, args.actor
            )
            print(outcome)
    except triage_desk.TriageError as exc:
        raise InputError([f"triage: {exc}"]) from None
    return 0


async def cmd_mail_example(args: argparse.Namespace, settings: Settings) -> int:
    """Send the README's example inquiry to the local gateway (no swaks needed)."""
    message = example_inquiry(settings.inquiry_mailbox)
    host, port = args.host or settings.inbound_smtp_host, args.port or settings.inbound_smtp_port
    _, answer = await aiosmtplib.send(message, hostname=host, port=port)
    print(f"{host}:{port} answered: {answer}")
    return 0


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--office", choices=[o.value for o in FieldOffice], metavar="FIELD_OFFICE")
    p.add_argument("--reviewer", help="assigned reviewer id")
    p.add_argument("--detained", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--overdue", action="store_true", help="open, NextDeadline in the past")
    p.add_argument("--closed-since", type=_when, metavar="DATE", help="closed at or after")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="starter.py", description="Start and work ICR cases on Temporal."
    )
    sub = root.add_subparsers(dest="command", required=True)
    p = sub.add_parser("submit", help="validate a submission and start its case")
    p.add_argument("file", help="submission JSON file, or - for standard input")
    p.set_defaults(run=cmd_submit)
    p = sub.add_parser("status", help="print a case's status query")
    p.add_argument("case_id")
    p.set_defaults(run=cmd_status)
    p = sub.add_parser("decide", help="send a decision as an update; print the status or rejection")
    p.add_argument("case_id")
    p.add_argument("decision", choices=sorted(DECISIONS))
    p.add_argument("payload", help="inline JSON object, a JSON file, or - for standard input")
    p.set_defaults(run=cmd_decide)
    p = sub.add_parser("list", help="list cases by stage, office, reviewer, deadline")
    _filters(p)
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("find", help="find cases by A-number (hashed locally, never sent)")
    p.add_argument("--a-number", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_find)
    p = sub.add_parser("counts", help="cases per stage and open cases per field office")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_counts)
    p = sub.add_parser("reassign", help="move every open case of one reviewer to another")
    p.add_argument("--from", dest="from_reviewer", required=True)
    p.add_argument("--to", dest="to_reviewer", required=True)
    p.add_argument("--actor", required=True, help="the supervisor's staff id")
    p.add_argument("--dry-run", action="store_true", help="list what would change")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_reassign)
    p = sub.add_parser("triage", help="mail the gateway could not attach: list, show, assign")
    p.add_argument("action", choices=["list", "show", "assign"])
    p.add_argument("item_id", nargs="?", default="")
    p.add_argument("case_id", nargs="?", default="")
    p.add_argument("--actor", help="assign: the intake staff id attaching it")
    p.add_argument("--all", action="store_true", help="list: assigned items too")
    p.set_defaults(run=cmd_triage)
    p = sub.add_parser("mail-example", help="send the example inquiry e-mail to the gateway")
    p.add_argument("--host", help="default ICR_INBOUND_SMTP_HOST")
    p.add_argument("--port", type=int, help="default ICR_INBOUND_SMTP_PORT")
    p.set_defaults(run=cmd_mail_example)
    p = sub.add_parser("remind", help="a reminder round for the selected open cases")
    _filters(p)
    p.add_argument("--actor", required=True, help="the supervisor's staff id")
    p.add_argument("--round", help="round id (default: today's date): one round per id")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent")
    p.set_defaults(run=cmd_remind)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    logs.configure(settings.log_format, "WARNING")
    try:
        return int(asyncio.run(args.run(args, settings)))
    except InputError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    except RPCError as exc:
        print(f"temporal: {exc.message}", file=sys.stderr)
        return 1


def exit_now(code: int) -> NoReturn:
    """Leave without interpreter finalization: the SDK's native runtime thread can abort a
    finalizing interpreter (exit 134, seen here about once in six runs), which would turn a
    clean exit status into a crash for the calling system."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
