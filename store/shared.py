"""The whole store from the settings: one database, its tables created once per process."""

from dataclasses import dataclass
from datetime import timedelta

from security import configured
from settings import Settings, plain
from store.case_records import CaseRecords
from store.database import Database, LazyDatabase
from store.disclosures import DisclosureLog
from store.documents import DocumentStore
from store.inbox import Inbox
from store.ledger import NoticeLedger
from store.reads import ReadLog
from store.sealing import Sealer
from store.senders import SenderRate
from store.triage import TriageList


def database_for(settings: Settings) -> Database:
    return LazyDatabase(plain(settings.database_url) or None, settings.notice_ledger)


def accounting(settings: Settings, db: Database, sealer: Sealer) -> DisclosureLog:
    """Kept five years at least, and as long as the case record it accounts for."""
    years = max(settings.disclosure_retention_years, settings.case_record_retention_years)
    return DisclosureLog(db, sealer, years)


@dataclass(frozen=True)
class Store:
    db: Database
    documents: DocumentStore
    inbox: Inbox
    triage: TriageList
    ledger: NoticeLedger
    reads: ReadLog
    senders: SenderRate
    disclosures: DisclosureLog
    records: CaseRecords

    @classmethod
    async def open(cls, settings: Settings, db: Database | None = None) -> "Store":
        """Tables created if missing. Needs the payload keys: mail and documents are sealed."""
        keys = configured.keyring(settings)
        if keys is None:
            raise SystemExit("the store needs ICR_PAYLOAD_KEYS or ICR_PAYLOAD_KEY_FILE")
        db = db or database_for(settings)
        sealer = Sealer(keys)
        folder = None if settings.database_url else settings.documents_dir
        store = cls(
            db=db,
            documents=DocumentStore(db, sealer, folder),
            inbox=Inbox(db, sealer),
            triage=TriageList(db),
            ledger=NoticeLedger(db),
            reads=ReadLog(db),
            senders=SenderRate(
                db,
                plain(settings.subject_key_secret),
                settings.inbound_sender_rate,
                timedelta(seconds=settings.inbound_sender_window_seconds),
            ),
            disclosures=accounting(settings, db, sealer),
            records=CaseRecords(db, sealer, settings.case_record_retention_years),
        )
        tables = (store.documents, store.inbox, store.triage, store.ledger)
        for table in (*tables, store.reads, store.senders, store.disclosures, store.records):
            await table.create()
        return store

    async def close(self) -> None:
        await self.db.close()
