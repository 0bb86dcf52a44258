"""The accounting of disclosures and the closed cases' records, on both store backends."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.status import CaseStatus
from settings import Settings
from store.disclosures import DisclosureEntry, DisclosureLog, Recipient
from store.shared import Store
from tests.test_store import store  # noqa: F401 (the fixture: SQLite and PostgreSQL)

CASE = "ICR-0000000000AA"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAME, ADDRESS = "Begoña Muñoz", "begona.munoz@example.org"


def letter(n: int, case_id: str = CASE) -> DisclosureEntry:
    return DisclosureEntry(
        disclosure_id=f"<{case_id}.e{n}.requestor@icr.case-review>",
        case_id=case_id,
        disclosed_at=AT + timedelta(hours=n),
        nature=f"letter DETERMINATION ({n})",
        purpose="determination to the requestor",
        recipient=Recipient(kind="REQUESTOR", name=NAME, address=ADDRESS),
        subject=f"[{case_id}] Case review determination",
        body=f"Dear {NAME}, letter {n}.",
    )


async def test_each_disclosure_is_kept_once_sealed_and_for_five_years_at_least(
    store: Store,  # noqa: F811
) -> None:
    written = await asyncio.gather(*(store.disclosures.record(letter(2)) for _ in range(3)))
    assert sorted(written) == [False, False, True], "a retried letter is accounted for once"
    await store.disclosures.record(letter(1))
    await store.disclosures.record(letter(1, "ICR-0000000000BB"))
    entries = await store.disclosures.of_case(CASE)
    assert [e.nature for e in entries] == ["letter DETERMINATION (1)", "letter DETERMINATION (2)"]
    assert entries[0] == letter(1), "date, nature, purpose, recipient and the letter, as written"
    raw = b"".join(
        str(v).encode() if not isinstance(v, bytes | memoryview) else bytes(v)
        for row in await store.db.fetch("SELECT * FROM disclosures")
        for v in row
    )
    for secret in (NAME, ADDRESS, "begona", "Dear"):
        assert secret.encode() not in raw, f"{secret} sealed at rest"
    (keep_until,) = (await store.db.fetch("SELECT keep_until FROM disclosures LIMIT 1"))[0]
    assert datetime.fromisoformat(keep_until) >= AT + timedelta(days=5 * 365)
    assert await store.disclosures.forget_expired(AT + timedelta(days=4 * 365)) == 0
    assert await store.disclosures.forget_expired(AT + timedelta(days=8 * 365)) == 3


def test_the_accounting_is_never_kept_shorter_than_five_years() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 5"):
        Settings(disclosure_retention_years=4)
    with pytest.raises(ValueError, match="5 years at least"):
        DisclosureLog(None, None, 4)  # type: ignore[arg-type]


async def test_a_closed_case_s_record_is_kept_sealed_for_the_records_schedule(
    store: Store,  # noqa: F811
) -> None:
    status = CaseStatus.model_validate(
        {
            "case_id": CASE,
            "entry": "LOCAL_REVIEW",
            "stage": "CLOSED",
            "stage_since": AT,
            "opened_at": AT,
            "closed_at": AT,
            "closure_reason": "WITHDRAWN",
            "field_office": "NEW_YORK_CITY",
            "detained": False,
            "waiting_for": "nothing",
            "history": [{"at": AT, "name": "withdraw", "actor": {"id": "sro.x", "role": "SRO"}}],
        }
    )
    assert await store.records.read(CASE) is None
    await asyncio.gather(store.records.keep(status), store.records.keep(status))
    assert await store.records.read(CASE) == status
    rows = await store.db.fetch("SELECT case_id, keep_until, sealed FROM case_records")
    assert len(rows) == 1 and b"sro.x" not in bytes(rows[0][2])
    kept = datetime.fromisoformat(rows[0][1]) - AT
    assert kept.days == int(365.25 * store.records.keep_years)
    assert await store.records.forget_expired(AT + timedelta(days=365)) == 0
