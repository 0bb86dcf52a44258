"""Command line for integrating systems and staff: submit, status, decide, list.

``python starter.py submit FILE.json`` (``-`` for standard input) prints
``{"case_id", "workflow_id", "run_id"}``; invalid input exits 2 naming every offending field.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

import logs
from clients import connect
from domain.decisions import DECISIONS
from domain.errors import describe
from domain.inquiry import Submission
from domain.stage import Stage
from intake import SubmissionConflict, submit
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


def list_query(stage: str | None, office: str | None, extra: str | None) -> str:
    clauses = ["WorkflowType = 'CaseReviewWorkflow'"]
    if stage:
        clauses.append(f"CaseStage = '{Stage(stage)}'")
    if office:
        clauses.append(f"FieldOffice = '{office}'")
    if extra:
        clauses.append(f"({extra})")
    return " AND ".join(clauses)


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    client: Client = await connect(settings)
    rows = []
    async for wf in client.list_workflows(list_query(args.stage, args.office, args.query)):
        attrs = wf.typed_search_attributes
        rows.append(
            {
                "case_id": wf.id,
                "status": wf.status.name if wf.status else "",
                "stage": attrs.get(_key("CaseStage")) or "",
                "field_office": attrs.get(_key("FieldOffice")) or "",
                "next_deadline": str(attrs.get(_deadline()) or ""),
            }
        )
        if len(rows) >= args.limit:
            break
    if args.json:
        _print(rows)
    else:
        print(f"{'CASE':18} {'STATUS':11} {'STAGE':21} {'OFFICE':15} NEXT DEADLINE")
        for r in rows:
            print(
                f"{r['case_id']:18} {r['status']:11} {r['stage']:21} "
                f"{r['field_office']:15} {r['next_deadline']}"
            )
    return 0


def _key(name: str) -> Any:
    from domain import search

    return {k.name: k for k in search.ALL_KEYS}[name]


def _deadline() -> Any:
    return _key("NextDeadline")


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
    p = sub.add_parser("list", help="list cases")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--office")
    p.add_argument("--query", help="extra Temporal list filter, ANDed")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)
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


if __name__ == "__main__":
    sys.exit(main())
