"""Staff read a case's documents through the codec server: ``GET /documents/{case}/{doc}``.

Only a document the store filed to that case (``document_refs``) and the case lists, only for
a member of staff signed in to the codec server (the same session or token as ``/decode``), and
only once the read is recorded: always in the store's access log (``store.reads``, who, which
case, which document, when), and first, in an open case, in the case itself (signed by the codec
server's own service identity: a read the case refuses is not served). A closed case takes no
decisions, so its reads are in the log alone. The case's answers count only when sealed for it
(``security.sealed_answers``): a run an outsider started under a case id is no case here. The
bytes come from the document store, checked against the hash the case holds, and go out as a
download the browser must not render or sniff.
"""

import re
from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web
from temporalio.client import Client

from domain.field_office import FieldOffice
from domain.status import CaseStatus
from mailroom.desk import CaseDesk, CaseUnavailable, DecisionRefused, NoSuchCase
from settings import Settings
from store.shared import Store

log = structlog.get_logger("icr.codec")
READER_IDENTITY = "svc.codec"
"""The codec server's service identity: it records each read, naming the signed-in reader."""
_CASE = re.compile(r"^ICR-[0-9A-HJKMNP-TV-Z]{12}$")
_DOCUMENT = re.compile(r"^DOC-[0-9A-F]{24}$")
_EXTENSION = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/tiff": "tif",
    "text/plain": "txt",
}


class DocumentReading:
    """The store and the cases, opened on first use so the codec server starts without them."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._store: Store | None = None

        async def connect() -> Client:
            if client is not None:
                return client
            from clients import connect as connect_temporal

            return await connect_temporal(settings)

        self._desk = CaseDesk.for_service(settings, connect, READER_IDENTITY)

    async def store(self) -> Store:
        if self._store is None:
            self._store = await Store.open(self._settings)
        return self._store

    async def serve(
        self, request: web.Request, reader: str, may_read: Callable[[FieldOffice], bool]
    ) -> web.StreamResponse:
        """``may_read``: whether the reader may read a case of that field office
        (``domain.access``); a case they may not read has, for them, no such document."""
        if "Range" in request.headers:  # each part would count as a read: only whole ones
            return _error(416, "Range is not served: ask for the whole document")
        case_id = request.match_info["case_id"]
        document_id = request.match_info["document_id"]
        if not (_CASE.fullmatch(case_id) and _DOCUMENT.fullmatch(document_id)):
            return _error(404, "no such document")
        try:
            status: Any = await self._desk.status(case_id)
        except NoSuchCase:
            return _error(404, "no such document")
        except CaseUnavailable:
            return _error(503, "the case cannot be reached now; try again")
        listed = CaseStatus.model_validate(status)
        if not may_read(listed.field_office):
            log.warning("security.document_refused", case_id=case_id, reader=reader)
            return _error(404, "no such document")
        ref = next((d for d in listed.documents if d.document_id == document_id), None)
        if ref is None:
            return _error(404, "no such document")
        store = await self.store()
        if not await store.documents.filed_to(case_id, document_id):
            log.warning("security.document_not_filed", case_id=case_id, document_id=document_id)
            return _error(404, "no such document")
        found = await store.documents.read(document_id)
        if found is None or found[0].sha256 != ref.sha256:
            return _error(404, "no such document")
        if listed.closed_at is None:
            refused = await self._record_in_case(case_id, document_id, reader)
            if refused is not None:
                return refused
        try:  # every read, open case or closed, before any byte leaves
            await store.reads.record(case_id, document_id, reader)
        except Exception as exc:
            log.error("documents.read_not_logged", case_id=case_id, error=type(exc).__name__)
            return _error(503, "the read cannot be recorded now; try again")
        log.info("documents.read", case_id=case_id, document_id=document_id, reader=reader)
        extension = _EXTENSION.get(ref.content_type, "bin")
        return web.Response(
            body=found[1],
            content_type=ref.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{document_id}.{extension}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )

    async def _record_in_case(
        self, case_id: str, document_id: str, reader: str
    ) -> web.Response | None:
        """The read in the open case itself; None when recorded or the case closed meanwhile
        (the store's log then holds it alone), else the answer refusing the read."""
        try:
            await self._desk.decide(
                case_id, "record_document_read", {"document_id": document_id, "reader": reader}
            )
            return None
        except CaseUnavailable:
            return _error(503, "the case cannot record the read now; try again")
        except (DecisionRefused, NoSuchCase) as exc:
            reason = str(exc)
        try:
            now: Any = await self._desk.status(case_id)
        except (CaseUnavailable, NoSuchCase):
            return _error(503, "the case cannot record the read now; try again")
        if CaseStatus.model_validate(now).closed_at is not None:
            return None
        log.warning("documents.read_refused", case_id=case_id, reason=reason)
        return _error(409, f"the case refused to record the read: {reason}")

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
