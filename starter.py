"""Command line for integrating systems, staff and operators: ``icr`` or ``python starter.py``.

``icr submit FILE.json`` (``-``: stdin) prints ``{"case_id", "workflow_id", "run_id"}`` once the
case opened. Each failure: one line on standard error, an exit status (docs/operating.md).
"""

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

import logs
from caseload.arguments import filter_arguments, positive
from caseload.bulk import Change, reassign, reminder_round
from caseload.queries import PAGE_LIMIT, CaseFilter, counts, find_cases, row, subject_filter
from caseload.schedules import ensure_schedules
from cli_exits import (
    EXIT_OK,
    EXIT_PARTLY_APPLIED,
    EXIT_REFUSED,
    InputError,
    Refused,
    answerable,
    closed_case_query,
    finish,
    in_time,
)
from clients import connect, register_search_attributes, staff_token
from domain.case_id import is_case_id
from domain.decisions import DECISIONS
from domain.errors import describe
from domain.field_office import FieldOffice
from domain.inquiry import Submission
from domain.stage import Stage
from intake import SubmissionConflict, submit
from mailroom.commands import add_mailbox_commands
from opening_verdict import await_opening
from records.commands import add_records_commands, recorded_status
from settings import Settings, get_settings, plain


def _read_json(source: str) -> Any:
    """A JSON document from a file, ``-`` (stdin) or, for decisions, an inline object."""
    if source == "-":
        data = sys.stdin.buffer.read()
    elif source.lstrip().startswith("{"):
        data = source.encode("utf-8", "surrogateescape")
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"input: no such file {source!r}")
        data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"input: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"input: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError("input: JSON nested too deeply") from None


def parse_submission(source: str) -> Submission:
    try:
        return Submission.model_validate(_read_json(source))
    except ValidationError as exc:
        raise InputError(*describe(exc)) from None


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


async def cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    submission = parse_submission(args.file)
    client = await connect(settings)
    try:
        result = await submit(client, submission, settings)
    except SubmissionConflict as exc:
        raise InputError(f"request_id: {exc}") from None
    note = await await_opening(client, result.case_id, result.run_id)  # refused: exit 3
    _print(result.model_dump(include={"case_id", "workflow_id", "run_id"}))
    if note:
        print(note, file=sys.stderr)
    return 0


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    try:
        handle = await answerable(client, args.case_id)
        _print(await closed_case_query(handle, "status"))
    except RPCError as exc:  # gone from Temporal: the closed case's record answers
        kept = await recorded_status(settings, args.case_id) if is_case_id(args.case_id) else None
        if exc.status is not RPCStatusCode.NOT_FOUND or kept is None:
            raise
        print("answered from the case record: Temporal no longer holds the case", file=sys.stderr)
        _print(kept.model_dump(mode="json"))
    return 0


async def cmd_decide(args: argparse.Namespace, settings: Settings) -> int:
    payload = _read_json(args.payload)
    if isinstance(payload, dict):  # the decision names its case (the stamp binds it there)
        payload.setdefault("case_id", args.case_id)
    client = await connect(settings)
    handle = await answerable(client, args.case_id)
    if not (staff_token(settings) and settings.codec_endpoint) and not settings.service_key:
        print(
            "note: no ICR_STAFF_TOKEN (or ICR_STAFF_TOKEN_FILE) with ICR_CODEC_ENDPOINT: "
            "the decision goes unsigned and the case will refuse it",
            file=sys.stderr,
        )
    update = handle.execute_update(args.decision, payload)
    try:
        status = await in_time(args.decision, args.case_id, update)
    except WorkflowUpdateFailedError as exc:
        raise Refused(f"rejected: {getattr(exc.cause, 'message', exc.cause)}") from None
    _print(status)
    return 0


def _filter(args: argparse.Namespace) -> CaseFilter:
    case_filter = CaseFilter(
        stage=Stage(args.stage) if args.stage else None,
        office=FieldOffice(args.office) if args.office else None,
        reviewer=args.reviewer,
        detained=args.detained,
        overdue=args.overdue,
        closed_since=args.closed_since,
        problems=args.problems,
    )
    try:
        case_filter.query()
    except (ValidationError, ValueError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InputError(f"--reviewer: {reason}") from None
    return case_filter


def _table(rows: list[dict[str, Any]], as_json: bool) -> None:
    """``--json``: a list of objects with exactly the keys of ``caseload.queries.row``
    (docs/operating.md, "JSON output"); otherwise a table with a header line."""
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
    print("  ".join(c.upper().ljust(widths[c]) for c in columns) + "  OVERDUE  PROBLEMS")
    for r in rows:
        line = "  ".join(str(r[c]).ljust(widths[c]) for c in columns)
        flags = ("yes" if r["overdue"] else "").ljust(7) + ("  yes" if r["problems"] else "")
        print((line + "  " + flags).rstrip())


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    case_filter = _filter(args)
    client = await connect(settings)
    now = datetime.now(UTC)
    limit = None if args.all else args.limit
    found = await find_cases(client, case_filter, limit=None if limit is None else limit + 1)
    if limit is not None and len(found) > limit:
        found = found[:limit]
        print(
            f"showing the first {limit} cases; more match (--limit N or --all for more)",
            file=sys.stderr,
        )
    _table([row(wf, now) for wf in found], args.json)
    return 0


async def cmd_find(args: argparse.Namespace, settings: Settings) -> int:
    try:
        case_filter = subject_filter(
            args.a_number, plain(settings.subject_key_secret), settings.previous_subject_secrets
        )
    except ValueError as exc:
        raise InputError(f"a_number: {exc}") from None
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
    print(f"OPEN WITH PROBLEMS (TemporalReportedProblems)  {result['with_problems']}")
    return 0


def _changes(changes: list[Change], as_json: bool) -> int:
    """All refused: exit 3; some refused: exit 5 (partly applied); the list says which."""
    if as_json:
        _print([c.model_dump() for c in changes])
    else:
        for c in changes:
            print(f"{c.case_id}  {c.outcome:8}  {c.action}  {c.detail}".rstrip())
        print(f"{len(changes)} case(s)")
    refused = sum(c.outcome == "rejected" for c in changes)
    if not refused:
        return EXIT_OK
    acted = sum(c.outcome in ("applied", "rejected") for c in changes)
    print(f"{refused} of {acted} case(s) refused the change", file=sys.stderr)
    return EXIT_REFUSED if refused == acted else EXIT_PARTLY_APPLIED


async def cmd_reassign(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    changes = await reassign(
        client,
        args.from_reviewer,
        args.to_reviewer,
        args.actor,
        task_queue=settings.task_queue,
        dry_run=args.dry_run,
    )
    return _changes(changes, args.json)


async def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    changes = await reminder_round(
        client,
        _filter(args),
        args.actor,
        task_queue=settings.task_queue,
        round_id=args.round,
        dry_run=args.dry_run,
    )
    return _changes(changes, args.json)


async def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    """Search attributes and the Schedules, idempotently (the dev stack runs it at start)."""
    client = await connect(settings)
    await register_search_attributes(client)
    for schedule_id, outcome in await ensure_schedules(client, settings.task_queue):
        print(f"schedule {schedule_id}: {outcome}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog=Path(sys.argv[0]).name if sys.argv[0] else "icr",
        description="Start and work ICR cases on Temporal. Exit statuses: docs/operating.md.",
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
    filter_arguments(p)
    size = p.add_mutually_exclusive_group()
    size.add_argument("--limit", type=positive, default=PAGE_LIMIT, help="at most N (1000)")
    size.add_argument("--all", action="store_true", help="every matching case, page by page")
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
    add_mailbox_commands(sub)
    add_records_commands(sub)
    p = sub.add_parser("remind", help="a reminder round for the selected open cases")
    filter_arguments(p)
    p.add_argument("--actor", required=True, help="the supervisor's staff id")
    p.add_argument("--round", help="round id (default: today's date): one round per id")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent")
    p.set_defaults(run=cmd_remind)
    p = sub.add_parser("setup", help="register search attributes and create the Schedules")
    p.set_defaults(run=cmd_setup)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def body() -> int:
        settings = get_settings()
        logs.configure(settings.log_format, "WARNING")
        code = int(asyncio.run(args.run(args, settings)))
        sys.stdout.flush()  # a closed pipe shows here, inside finish()
        return code

    return finish(body)


def exit_now(code: int) -> NoReturn:
    """Leave without interpreter finalization: the SDK's native runtime thread can abort a
    finalizing interpreter (exit 134, seen here about once in six runs), which would turn a
    clean exit status into a crash for the calling system."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run() -> NoReturn:
    """The ``icr`` console script."""
    exit_now(main())


if __name__ == "__main__":
    run()
