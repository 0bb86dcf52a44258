"""A release is itself a disclosure: it joins the accounting, and the log says who released
which case when (identifiers only: the package's hash, never a name or an address)."""

import hashlib
import io
from datetime import datetime

import structlog
from pypdf import PdfReader

from store.disclosures import DisclosureEntry, Recipient
from store.shared import Store

log = structlog.get_logger("icr.records")
RELEASE_PURPOSE = "the individual's request for their own record (5 U.S.C. 552a(d); FOIA)"
UNNAMED = Recipient(kind="REQUESTOR", name="the requestor", address="not on file")


async def record_release(
    store: Store,
    case_id: str,
    package: bytes,
    recipient: Recipient | None,
    officer_id: str,
    at: datetime,
) -> tuple[str, int]:
    """The package's SHA-256 and page count, once the release is in the accounting."""
    digest = hashlib.sha256(package).hexdigest()
    pages = len(PdfReader(io.BytesIO(package)).pages)
    await store.disclosures.record(
        DisclosureEntry(
            disclosure_id=f"release-{digest}",
            case_id=case_id,
            disclosed_at=at,
            nature=f"release package, {pages} pages, SHA-256 {digest}",
            purpose=RELEASE_PURPOSE,
            recipient=recipient or UNNAMED,
        )
    )
    # The CLI logs at WARNING and above: a release must always leave its line.
    log.warning(
        "records.released", case_id=case_id, staff_id=officer_id, pages=pages, sha256=digest
    )
    return digest, pages
