"""Who may write to a case by e-mail: its requestor, or its authorized representative."""

from domain.inquiry import Submission
from domain.notices import RecipientKind, correspondents


def correspondent_of(submission: Submission, address: object) -> RecipientKind | None:
    """The correspondent ``address`` belongs to, compared without regard to case; None for
    anyone else, and for anything that is not an address at all."""
    if not isinstance(address, str) or "@" not in address or len(address) > 320:
        return None
    wanted = address.strip().casefold()
    for person in correspondents(submission, include_representative=True):
        if person.email is not None and person.email.casefold() == wanted:
            return person.kind
    return None
