"""The cover letter of a release: who answers, what is released, what is withheld and why, and
how to appeal (with blanks for the office's own details, which differ per component)."""

from collections import Counter
from datetime import date

from records.content import Block, Officer, Release, Section, Text, Withheld
from store.disclosures import Recipient

BLANK = "_" * 34

EXEMPTION_WORDS = {
    "(b)(6)": "5 U.S.C. 552(b)(6) and 552a(k)(2): personnel and similar files whose release would "
    "be a clearly unwarranted invasion of personal privacy (the names of agency staff; content "
    "not shown to be the requestor's own)",
}


def _withheld_lines(withheld: list[Withheld]) -> list[str]:
    counts = Counter((w.what, w.exemption) for w in withheld)
    return [f"- {n} x {what}, withheld under {ex}" for (what, ex), n in sorted(counts.items())]


def cover_letter(release: Release, officer: Officer, to: Recipient | None, on: date) -> Section:
    withheld = release.withheld()
    released = [s.title for s in release.sections]
    addressee = f"{to.name}\n{to.address}" if to else "To the requestor"
    parts: list[Block] = [
        Text(f"{on:%B %d, %Y}"),
        Text(addressee),
        Text(
            "Re: your Privacy Act and FOIA request for the records of ICE case review "
            + release.case_id
        ),
        Text(
            "This letter answers your request for the records ICE Case Review (ICR) keeps about "
            "you under the Privacy Act of 1974 (5 U.S.C. 552a(d)) and the Freedom of Information "
            "Act (5 U.S.C. 552). The records were searched in the case file of the case named "
            "above, and are enclosed as follows:"
        ),
        Text("\n".join(f"- {title}" for title in released)),
    ]
    if release.attachments:
        parts.append(
            Text(f"- {len(release.attachments)} document(s) you submitted, appended in full")
        )
    if withheld:
        exemptions = sorted({w.exemption for w in withheld})
        parts += [
            Text("Withheld in part, each marked in a box at the place it was withheld:"),
            Text("\n".join(_withheld_lines(withheld))),
            Text("\n".join(f"{ex}: {EXEMPTION_WORDS.get(ex, ex)}." for ex in exemptions)),
        ]
    else:
        parts.append(Text("Nothing was withheld: the records are released in full."))
    parts += [
        Text(
            "Appeal rights. If you disagree with this response, you may appeal in writing within "
            "90 working days of the date of this letter. Mark the envelope and the letter "
            '"Privacy Act/FOIA Appeal" and send it to:\n'
            f"Office: {BLANK}\nAddress: {BLANK}\n         {BLANK}\nE-mail: {BLANK}\n"
            f"You may also contact the FOIA Public Liaison at {BLANK} or the Office of "
            "Government Information Services (OGIS) for mediation services."
        ),
        Text(
            f"Sincerely,\n\n{officer.name}\n{officer.title}\n"
            "U.S. Immigration and Customs Enforcement"
        ),
    ]
    return Section("Response to your records request", parts)
