"""Documents of a case: references to bytes kept outside the case (a claim check).

A reference says what a document is and where it came from, never what it holds: no file
name, no content. The bytes stay in the document store, sealed; staff read them through the
codec server; each read is recorded in the case (the newest ``MAX_DOCUMENT_READS``) and in the
store's access log (all of them). A case holds at most ``MAX_DOCUMENTS``.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DocumentId = Annotated[str, StringConstraints(pattern=r"^DOC-[0-9A-F]{24}$")]
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


class DocumentKind(StrEnum):
    G_28 = "G-28"
    ICE_60_001 = "ICE-60-001"
    OTHER = "OTHER"


class DocumentSource(StrEnum):
    """Who sent it: the inquiry that opened the case, or a later mail of a correspondent."""

    INQUIRY = "INQUIRY"
    REQUESTOR = "REQUESTOR"
    REPRESENTATIVE = "REPRESENTATIVE"
    TRIAGE = "TRIAGE"


class ContentType(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    GIF = "image/gif"
    TIFF = "image/tiff"
    TEXT = "text/plain"


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document_id: DocumentId
    kind: DocumentKind
    content_type: ContentType
    size: int = Field(ge=1, le=MAX_DOCUMENT_BYTES)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    received_at: datetime
    source: DocumentSource


class DocumentRead(BaseModel):
    """One reading of a document by a member of staff, for the case's own record."""

    document_id: DocumentId
    reader: str
    at: datetime
