"""Draws a release (``records.content``) as PDF with fpdf2: every page with its Bates number,
each withheld value as a box naming its exemption, the requestor's documents appended.

The font is a TrueType file on the host (DejaVu Sans from Debian's fonts-dejavu-core, which the
image and ``make setup`` install), embedded in the PDF, so Spanish and every name render as
written. Nothing is fetched at run time.
"""

import io
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import CellBordersLayout, TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from pypdf import PageObject, PdfReader, PdfWriter

from domain.documents import ContentType
from records.content import Attachment, Release, Table, Text, Withheld

FAMILY = "ReleaseSans"
BOX_FILL = (225, 225, 225)
IMAGES = {ContentType.PNG, ContentType.JPEG, ContentType.GIF, ContentType.TIFF}


class FontMissing(RuntimeError):
    """The configured font file does not exist (install fonts-dejavu-core or ICR_RELEASE_FONT)."""


def bates(case_id: str, page: int) -> str:
    """``ICR-<case number>-000001``: the case id already begins with ``ICR-``."""
    return f"{case_id}-{page:06d}"


class _Package(FPDF):
    def __init__(self, case_id: str, font: Path) -> None:
        super().__init__(format="Letter")
        if not font.is_file():
            raise FontMissing(f"release font {font} not found (ICR_RELEASE_FONT)")
        bold = font.with_name(font.stem + "-Bold" + font.suffix)
        self.add_font(FAMILY, "", str(font))
        self.add_font(FAMILY, "B", str(bold if bold.is_file() else font))
        self.case_id = case_id
        self.first_bates = 1
        self.set_auto_page_break(True, margin=20)
        self.set_font(FAMILY, size=10)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, bates(self.case_id, self.first_bates + self.page_no() - 1), align="R")
        self.set_font(FAMILY, size=10)


def _table(pdf: _Package, block: Table) -> None:
    boxed = FontFace(emphasis="BOLD", fill_color=BOX_FILL)
    with pdf.table(
        col_widths=block.widths,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        text_align="LEFT",
        wrapmode=WrapMode.WORD,
        line_height=4.5,
        padding=1,
    ) as table:
        table.row(block.headers)
        for values in block.rows:
            row = table.row()
            for value in values:
                if isinstance(value, Withheld):
                    text = f"[{value.what} withheld: {value.exemption}]"
                    row.cell(text, style=boxed, border=CellBordersLayout.ALL)
                else:
                    row.cell(value)


def _text(pdf: _Package, block: Text) -> None:
    pdf.set_font(FAMILY, "B" if block.bold else "", 10)
    pdf.multi_cell(
        0, 5, block.text, align="L", wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FAMILY, "", 10)
    pdf.ln(2)


def _attachment(pdf: _Package, n: int, item: Attachment, pages: tuple[int, int] | None) -> None:
    doc = item.document
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 6, f"Attachment {n}: {doc.document_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, 5, f"SHA-256 {doc.sha256}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.content_type in IMAGES:
        try:
            pdf.image(io.BytesIO(item.data), w=pdf.epw)
        except Exception:  # an image the library cannot draw: say so, go on
            _text(pdf, Text("This image could not be drawn; its bytes match the hash above."))
    elif doc.content_type is ContentType.TEXT:
        _text(pdf, Text(item.data.decode("utf-8", "replace")))
    elif pages is None:
        _text(pdf, Text("This PDF could not be read; its bytes match the hash above."))
    else:
        first, last = (bates(pdf.case_id, p) for p in pages)
        _text(pdf, Text(f"The document's own pages are appended at the end: {first} to {last}."))


def _pdf_pages(data: bytes) -> list[PageObject] | None:
    try:
        return list(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # a requestor's broken PDF must not stop the release
        return None


def _draw(
    release: Release, font: Path, made_at: datetime, ranges: dict[int, tuple[int, int]]
) -> _Package:
    pdf = _Package(release.case_id, font)
    pdf.set_creation_date(made_at.replace(microsecond=0))
    pdf.set_title(f"Records release, case {release.case_id}")
    for section in release.sections:
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 13)
        pdf.multi_cell(0, 7, section.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.set_font(FAMILY, "", 10)
        for block in section.blocks:
            if isinstance(block, Table):
                _table(pdf, block)
                pdf.ln(3)
            else:
                _text(pdf, block)
    for n, item in enumerate(release.attachments, start=1):
        _attachment(pdf, n, item, ranges.get(n))
    return pdf


def render(release: Release, font: Path, made_at: datetime | None = None) -> bytes:
    """The whole package. Drawn twice when PDFs are attached: the first pass counts the pages,
    so each PDF's title page can name the Bates numbers its own pages get at the end."""
    made_at = made_at or datetime.now(UTC)
    theirs = {
        n: pages
        for n, item in enumerate(release.attachments, start=1)
        if item.document.content_type is ContentType.PDF
        and (pages := _pdf_pages(item.data)) is not None
        and pages
    }
    counted = {n: (1, 1) for n in theirs}
    ours = _draw(release, font, made_at, counted).pages_count
    ranges, next_page = {}, ours + 1
    for n, pages in theirs.items():
        ranges[n] = (next_page, next_page + len(pages) - 1)
        next_page += len(pages)
    body = bytes(_draw(release, font, made_at, ranges).output())
    if not theirs:
        return body
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    number = ours
    for pages in theirs.values():
        for page in pages:
            number += 1
            _stamp(writer.add_page(page), release.case_id, number, font)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp(page: PageObject, case_id: str, number: int, font: Path) -> None:
    """An appended page gets its Bates number drawn on top, in the same place as ours."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    stamp = _Package(case_id, font)
    stamp.first_bates = number
    stamp.add_page(format=(width * 25.4 / 72, height * 25.4 / 72))
    page.merge_page(PdfReader(io.BytesIO(bytes(stamp.output()))).pages[0])
