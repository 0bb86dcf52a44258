"""The command line's records commands: ``disclosures CASE`` (the accounting, for staff) and
``release CASE`` (a release package, for records officers only); and the case record that
``status`` answers from once Temporal has let a closed workflow go."""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from cli_exits import InputError, NotFound, answerable, closed_case_query
from clients import connect
from domain.case_id import is_case_id
from domain.status import CaseStatus
from records.content import OWN_SUBMISSIONS, Officer
from records.package import Request, assemble, requestor_of
from security import configured
from settings import Settings
from store.disclosures import Recipient
from store.shared import Store

MAX_FIELD = 200
STAFF_ID = re.compile(r"[A-Za-z0-9._@:-]{1,128}")


def _case(case_id: str, command: str) -> str:
    if not is_case_id(case_id):
        raise InputError(f"{command}: {case_id!r} is not a case id (ICR-XXXXXXXXXXXX)")
    return case_id


async def recorded_status(settings: Settings, case_id: str) -> CaseStatus | None:
    """The closed case's record from the store (None: no record, the case never closed here,
    or no payload keys on this machine to open one with)."""
    if configured.keyring(settings) is None:
        return None
    store = await Store.open(settings)
    try:
        return await store.records.read(case_id)
    finally:
        await store.close()


async def status_of(settings: Settings, case_id: str) -> CaseStatus:
    """The record when the case closed; else the live case's status query."""
    recorded = await recorded_status(settings, case_id)
    if recorded is not None:
        return recorded
    # The payload keys decode here: the release never goes through a person's codec session.
    client = await connect(
        settings.model_copy(update={"staff_token": None, "staff_token_file": None})
    )
    try:
        handle = await answerable(client, case_id)
        return CaseStatus.model_validate(await closed_case_query(handle, "status"))
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise NotFound(f"no case {case_id} in Temporal or in the case records") from None
        raise


async def cmd_disclosures(args: argparse.Namespace, settings: Settings) -> int:
    case_id = _case(args.case_id, "disclosures")
    store = await Store.open(settings)
    try:
        entries = await store.disclosures.of_case(case_id)
    finally:
        await store.close()
    if args.json:
        print(json.dumps([e.model_dump(mode="json", exclude={"body"}) for e in entries], indent=2))
        return 0
    print(f"ACCOUNTING OF DISCLOSURES  {case_id}  ({len(entries)})")
    for e in entries:
        print(
            f"{e.disclosed_at:%Y-%m-%d %H:%M:%S} UTC  {e.nature}\n"
            f"    purpose:   {e.purpose}\n"
            f"    recipient: {e.recipient.name}, {e.recipient.address} ({e.recipient.kind})"
        )
    return 0


async def _own_files(store: Store, status: CaseStatus) -> dict[str, bytes]:
    """The requestor's own submissions, each checked against the hash the case recorded."""
    files = {}
    for doc in status.documents:
        if doc.source not in OWN_SUBMISSIONS:
            continue
        found = await store.documents.read(doc.document_id)
        if found is not None and found[0].sha256 == doc.sha256:
            files[doc.document_id] = found[1]
    return files


def _bounded(args: argparse.Namespace) -> None:
    """What the officer types goes into a letter: printable, one line, of a letter's size."""
    for option in ("officer_name", "officer_title", "to_name", "to_address"):
        value = getattr(args, option)
        if value is None:
            continue
        if not value.strip() or len(value) > MAX_FIELD or not value.isprintable():
            flag = "--" + option.replace("_", "-")
            raise InputError(f"release: {flag} must be 1 to {MAX_FIELD} printable characters")
    if args.own_data_of is not None and not STAFF_ID.fullmatch(args.own_data_of):
        raise InputError("release: --own-data-of must be a staff id (letters, digits, ._@:-)")


async def cmd_release(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here, not at the top: the PDF stack (fpdf, fontTools, PIL, pypdf) and the
    # codec server's authenticator take a quarter of a second to import, and every other
    # command of the CLI would pay it at each start.
    from records.pdf import FontMissing, render
    from records.release_log import record_release
    from records.who import records_officer

    case_id = _case(args.case_id, "release")
    _bounded(args)
    officer_id = await records_officer(settings, case_id)  # refused here: nothing is read
    status = await status_of(settings, case_id)
    store = await Store.open(settings)
    try:
        accounting = await store.disclosures.of_case(case_id)
        recipient = requestor_of(accounting)
        if args.to_name or args.to_address:
            if not (args.to_name and args.to_address):
                raise InputError("release: --to-name and --to-address go together")
            recipient = Recipient(kind="REQUESTOR", name=args.to_name, address=args.to_address)
        request = Request(
            Officer(args.officer_name, args.officer_title), recipient, args.own_data_of
        )
        now = datetime.now(UTC)
        release = assemble(status, accounting, await _own_files(store, status), request, now.date())
        try:
            package = render(release, settings.release_font, now)
        except FontMissing as exc:
            raise InputError(f"release: {exc}") from None
        out = Path(args.out or f"{case_id}-release.pdf")
        out.write_bytes(package)
        digest, pages = await record_release(store, case_id, package, recipient, officer_id, now)
    finally:
        await store.close()
    print(f"{out}: {pages} pages, Bates {case_id}-000001 to {case_id}-{pages:06d}")
    print(f"SHA-256 {digest}")
    return 0


def add_records_commands(sub: Any) -> None:
    """Adds the commands to the CLI's subparsers (``sub``)."""
    p = sub.add_parser("disclosures", help="the accounting of disclosures of a case (staff)")
    p.add_argument("case_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_disclosures)
    p = sub.add_parser("release", help="a release package (PDF) for a records request (RECORDS)")
    p.add_argument("case_id")
    p.add_argument("--officer-name", required=True, help="who signs the cover letter")
    p.add_argument("--officer-title", required=True)
    p.add_argument("--out", help="the PDF's path (default: CASE-release.pdf here)")
    p.add_argument("--to-name", help="the recipient (default: the requestor as last written to)")
    p.add_argument("--to-address")
    p.add_argument("--own-data-of", help="a staff id whose own record this is (name released)")
    p.set_defaults(run=cmd_release)
