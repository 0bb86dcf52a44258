"""The example e-mail of docs/mailbox.md: an SRO inquiry by a representative, with a G-28.

``starter.py mail-example`` sends it to the local gateway over real SMTP, no mail client needed.
The same bytes each time: sending it again shows that a repeated mail starts no second case.
"""

from email.message import EmailMessage

EXAMPLE_FIELDS = {
    "A-Number": "A-012-345-678",
    "Given name": "Maria",
    "Family name": "Lopez Garcia",
    "Date of birth": "1988-04-12",
    "Country of birth": "Guatemala",
    "Field office": "New York City",
    "Detained": "no",
    "Local response date": "2026-10-01",
    "Local response finding": "meets priorities",
    "Local response summary": "The field office found the case meets the priorities.",
    "Grounds": "Long-time resident with US citizen children and no criminal history.",
    "Representative name": "Dana Advocate",
    "Representative email": "dana@lawfirm.example.org",
    "Representative phone": "+1 415 555 0188",
    "Representative organization": "Advocates LLP",
    "Authorization form": "G-28",
}
EXAMPLE_MESSAGE_ID = "<example-sro-inquiry-0001@lawfirm.example.org>"

# A minimal, valid one-page PDF standing in for the signed form.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def example_inquiry(mailbox: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Dana Advocate <dana@lawfirm.example.org>"
    message["To"] = mailbox
    message["Subject"] = "SRO inquiry"
    message["Message-ID"] = EXAMPLE_MESSAGE_ID
    body = "\n".join(f"{label}: {value}" for label, value in EXAMPLE_FIELDS.items())
    message.set_content(f"To the Senior Reviewing Official,\n\n{body}\n\nDana Advocate\n")
    message.add_attachment(_PDF, maintype="application", subtype="pdf", filename="G-28.pdf")
    message.set_boundary("icr-example-0001")  # the same bytes each time: the same mail
    return message
