"""English: the words of every letter to a requestor or representative, as they have always been.

Each entry is a ``str.format`` template; every catalogue has the same keys and placeholders.
"""

_NOTE = "Español: hay disponible a petición una copia en español de esta carta del caso {case}."

TEXTS: dict[str, str] = {
    "greeting": "Dear {name},",
    "greeting.requestor": "Dear requestor,",
    "greeting.representative": "Dear representative,",
    "signature": "ICE Case Review (ICR)\nThis message was sent automatically; do not reply.",
    "finding.MEETS_PRIORITIES": "continues to meet ICE's priorities for enforcement, detention "
    "and removal",
    "finding.DOES_NOT_MEET_PRIORITIES": "does not meet ICE's priorities for enforcement, "
    "detention and removal",
    "finding.reviewed": "was reviewed",
    "finding.determined": "was determined",
    "deadline.by": "{date}",
    "deadline.none": "soon",
    "missing.subject.date_of_birth": "the date of birth of the person the case is about",
    "missing.requestor.phone": "a telephone number where the requestor can be reached",
    "missing.requestor.email": "a valid e-mail address for the requestor",
    "missing.representative.authorization": "a Form G-28 or ICE Form 60-001 for the representative",
    "response_withheld.note": _NOTE,
    "response_withheld.subject": "[{case}] A response to your case review request is available",
    "response_withheld.body": "A response exists in ICE case review {case}. ICE can send it to a "
    "representative only with a Form G-28 or ICE Form 60-001 on file. Send one of these forms "
    "to receive the response.",
    "local_response.note": _NOTE,
    "local_response.subject": "[{case}] Local case review response",
    "local_response.body": "The local ERO field office reviewed case {case}: the case "
    "{finding}.\n\n{text}\n\nIf you disagree, you may submit an inquiry to ICE's Senior "
    "Reviewing Official (SRO) with the A-number, a telephone number and an e-mail address.",
    "inquiry_received.note": _NOTE,
    "inquiry_received.subject": "[{case}] SRO inquiry received",
    "inquiry_received.body": "The Senior Reviewing Official received your inquiry in case {case}.",
    "information_missing.note": _NOTE,
    "information_missing.subject": "[{case}] Information needed",
    "information_missing.body": "To review case {case}, the Senior Reviewing Official needs:\n"
    "{items}\n\nPlease send these by {deadline}; after that date the inquiry is closed as "
    "incomplete.",
    "withdrawn.note": _NOTE,
    "withdrawn.subject": "[{case}] Case review request withdrawn",
    "withdrawn.body": "Your ICE case review request {case} has been withdrawn and is closed. You "
    "may submit a new request at any time.",
    "determination.note": _NOTE,
    "determination.subject": "[{case}] Case review determination",
    "determination.body": "The Senior Reviewing Official reviewed case {case} and determined "
    "that the case {finding}.\n\n{text}",
    # The mailbox's own replies (mailroom.answers): no case yet, so no case number.
    "reply.note": "Español: hay disponible a petición una copia en español de esta respuesta.",
    "reply.signature": "ICE Case Review (ICR)\nThis message was sent automatically.",
    "reply.incomplete.subject": "Your SRO inquiry is incomplete",
    "reply.incomplete.body": "Your inquiry to ICE's Senior Reviewing Official could not be "
    "opened as a case: these items are missing or not valid:\n{items}\n\nPlease send the "
    "inquiry again with every item, one labelled line each, for example:\n\n{template}",
    "reply.refused.subject": "Attachments not accepted",
    "reply.refused.body": "Some attachments of your message were not accepted:\n{items}\n\nThe "
    "mailbox accepts {types}, up to 25 MB in all. Archives (such as ZIP files) are not opened. "
    "Please send the documents again in one of these forms.",
    "reply.refused.item": "an attachment ({kind}): {reason}",
    "kind.pdf": "PDF",
    "kind.png": "PNG image",
    "kind.jpeg": "JPEG image",
    "kind.gif": "GIF image",
    "kind.tiff": "TIFF image",
    "kind.text": "plain text",
    "kind.other": "of a type not accepted",
    "reply.refused.more": "and {count} more",
    "reply.types": "PDF, PNG, JPEG, GIF or TIFF images, and plain text",
    "reason.type": "type not accepted",
    "reason.base64": "could not be decoded (broken base64)",
    "reason.empty": "empty",
    "reason.mismatch": "contents do not match the declared type",
    "reason.too_many": "more than {count} attachments",
    # What the inquiry template (mailroom.template) finds wrong, after the label.
    "problem.form_item": "the Form G-28 or ICE Form 60-001 of the representative, attached as "
    "PDF or image",
    "problem.not_valid": "not valid",
    "problem.yes_no": "answer yes or no",
    "problem.office": "not one of the 25 ERO field offices",
    "problem.finding": "write 'meets priorities' or 'does not meet priorities'",
    "problem.language": "write en or es",
}
