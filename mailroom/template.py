"""The inquiry e-mail template (docs/inquiry-email.md): labelled lines into a submission.

``Label: value``, one per line; a value may go on over the next lines until a blank line or
the next label. Quoted lines (``>``) are ignored, so a reply quoting the original inquiry does
not send it twice. What is missing or invalid is named by its label, never with its value.
Every label has a Spanish form too, read with accents or without; an inquiry written with
Spanish labels (or ``Idioma: es``) is answered, and its case written to, in Spanish.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from domain.field_office import FieldOffice
from domain.identity import normalize_a_number, normalize_email, normalize_phone
from domain.inquiry import AuthorizationForm, Submission
from domain.language import DEFAULT_LANGUAGE, Language
from domain.stage import Entry, Finding
from mailroom.labels import (
    BY_KEY,
    FORM_LABEL,
    LANGUAGE_LABEL,
    REPRESENTATIVE,
    REQUIRED,
    SPANISH_KEYS,
    fold,
    label_key,
    language_code,
)

_LABEL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -")
FORM_ITEM = "the Form G-28 or ICE Form 60-001 of the representative, attached as PDF or image"


def read_fields(text: str) -> dict[str, str]:
    """Known labels to their (stripped) values; unknown labelled lines are ignored."""
    fields: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines()[:2000]:
        if line.lstrip().startswith(">"):
            current = None
            continue
        labelled = _labelled(_folded_label(line))
        label = BY_KEY.get(label_key(labelled[0])) if labelled else None
        if labelled and label:
            current = label
            if label not in fields:  # the first occurrence wins
                fields[label] = labelled[1].strip()[:10000]
            else:
                current = None
        elif not line.strip() or line.strip() == "--":
            current = None
        elif current is not None and len(fields[current]) < 10000:
            fields[current] = (fields[current] + "\n" + line.strip()).strip()
    return {k: v for k, v in fields.items() if v}


def _labelled(line: str) -> tuple[str, str] | None:
    """``Label: value`` (the label optionally in ``**``) split, or None; one pass, no pattern
    that could backtrack over a long line."""
    head, colon, value = line.partition(":")
    if not colon or len(head) > 200:
        return None
    name = head.strip().strip("*").strip()
    if not 2 <= len(name) <= 41 or not (name[0].isascii() and name[0].isalpha()):
        return None
    if not _LABEL_CHARS.issuperset(name):
        return None
    return name, value


def _folded_label(line: str) -> str:
    """The line with the accents of its label (before the colon) taken off, its value kept."""
    head, colon, value = line.partition(":")
    return fold(head) + colon + value if colon and len(head) <= 200 else line


def language_of(text: str, fields: dict[str, str]) -> Language:
    """The language a mail asks for (``Language``/``Idioma``), else the one its labels are
    written in: Spanish where more of them are."""
    try:
        return Language(language_code(fields.get(LANGUAGE_LABEL, "")))
    except ValueError:
        pass
    spanish = english = 0
    for line in text.splitlines()[:2000]:
        labelled = None if line.lstrip().startswith(">") else _labelled(_folded_label(line))
        key = label_key(labelled[0]) if labelled else ""
        spanish += key in SPANISH_KEYS
        english += key in BY_KEY and key not in SPANISH_KEYS
    return Language.ES if spanish > english else DEFAULT_LANGUAGE


def form_of(fields: dict[str, str], filename: str) -> AuthorizationForm:
    said = (fields.get(FORM_LABEL, "") + " " + filename).upper().replace(" ", "")
    return (
        AuthorizationForm.ICE_60_001
        if "60-001" in said or "60001" in said
        else (AuthorizationForm.G_28)
    )


def _yes_no(value: str) -> bool:
    word = fold(value).strip().lower()
    if word in ("yes", "y", "true", "detained", "si", "s", "detenido", "detenida"):
        return True
    if word in ("no", "n", "false", "not detained", "no detenido", "no detenida"):
        return False
    raise ValueError("answer yes or no")


def _office(value: str) -> str:
    key = re.sub(r"[^A-Z]+", "_", fold(value).upper()).strip("_")
    key = _OFFICE_NAMES.get(key, key)
    if key not in FieldOffice.__members__:
        raise ValueError("not one of the 25 ERO field offices")
    return key


_OFFICE_NAMES = {
    "NEW_YORK": "NEW_YORK_CITY",
    "SAINT_PAUL": "ST_PAUL",
    "NUEVA_YORK": "NEW_YORK_CITY",
    "CIUDAD_DE_NUEVA_YORK": "NEW_YORK_CITY",
    "NUEVA_ORLEANS": "NEW_ORLEANS",
    "FILADELFIA": "PHILADELPHIA",
}


def _finding(value: str) -> str:
    key = re.sub(r"[^A-Z]+", "_", fold(value).upper()).strip("_")
    if key.startswith(("DOES_NOT_MEET", "NOT_MEET", "NO_CUMPLE")):
        return Finding.DOES_NOT_MEET_PRIORITIES.value
    if key.startswith(("MEETS", "CUMPLE", "SIGUE_CUMPLIENDO")):
        return Finding.MEETS_PRIORITIES.value
    raise ValueError("write 'meets priorities' or 'does not meet priorities'")


_PATHS = {
    ("subject", "a_number"): "A-Number",
    ("subject", "given_name"): "Given name",
    ("subject", "family_name"): "Family name",
    ("subject", "date_of_birth"): "Date of birth",
    ("subject", "country_of_birth"): "Country of birth",
    ("requestor", "phone"): "Phone",
    ("requestor", "email"): "Email",
    ("field_office",): "Field office",
    ("detained",): "Detained",
    ("local_response", "date"): "Local response date",
    ("local_response", "finding"): "Local response finding",
    ("local_response", "summary"): "Local response summary",
    ("grounds",): "Grounds",
    ("representative", "name"): "Representative name",
    ("representative", "email"): "Representative email",
    ("representative", "phone"): "Representative phone",
    ("representative", "organization"): "Representative organization",
}


_CONVERTED = (
    "Field office",
    "Detained",
    "Local response finding",
    "Given name",
    "Family name",
    "Representative name",
)
_NAME_MARKS = frozenset(" -'.")


def _name(value: str) -> str:
    """A person's name, as letters greet them: letters, spaces, hyphens, apostrophes and
    periods, at most 80 characters and 6 words; a stranger's link or message is no name."""
    if len(value) > 80 or len(value.split()) > 6:
        raise ValueError("at most 80 characters and 6 words")
    if not all(ch.isalpha() or ch in _NAME_MARKS for ch in value):
        raise ValueError("letters, spaces, hyphens, apostrophes and periods only")
    return value


@dataclass
class Reading:
    """An inquiry read from a mail: a submission, or what stands in its way."""

    submission: Submission | None = None
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def read_inquiry(
    fields: dict[str, str],
    request_id: str,
    form: tuple[AuthorizationForm, str] | None,
    language: Language = DEFAULT_LANGUAGE,
) -> Reading:
    """``form``: the attached authorization (its kind and stored document id), if any;
    ``language``: the requestor's (``language_of``)."""
    reading = Reading()
    represented = any(label in fields for label in REPRESENTATIVE)
    # A representative is the requestor: their own phone and e-mail are the contact.
    own_contact = ("Phone", "Email") if represented else ()
    reading.missing = [x for x in REQUIRED if x not in fields and x not in own_contact]
    if represented:
        reading.missing += [label for label in REPRESENTATIVE[:3] if label not in fields]
        if form is None:
            reading.missing.append(FORM_ITEM)
    data: dict[str, Any] = {
        "request_id": request_id,
        "entry": Entry.SRO_INQUIRY.value,
        "contact_confirmed": False,  # a stranger may have written any of it (no backscatter)
    }
    for convert, label, path in (
        (_office, "Field office", ("field_office",)),
        (_yes_no, "Detained", ("detained",)),
        (_finding, "Local response finding", ("local_response", "finding")),
        (_name, "Given name", ("subject", "given_name")),
        (_name, "Family name", ("subject", "family_name")),
        (_name, "Representative name", ("representative", "name")),
    ):
        if label in fields:
            try:
                _put(data, path, convert(fields[label]))
            except ValueError as exc:
                reading.invalid.append(f"{label}: {exc}")
    if LANGUAGE_LABEL in fields:
        try:
            language_code(fields[LANGUAGE_LABEL])
        except ValueError as exc:
            reading.invalid.append(f"{LANGUAGE_LABEL}: {exc}")
    for where, label in _PATHS.items():
        if label in fields and label not in _CONVERTED:
            _put(data, where, fields[label])
    if reading.missing or reading.invalid:
        reading.invalid += _check_each(fields)  # so one reply names every problem
        return reading
    subject = data["subject"]
    if represented:
        rep = data["representative"]
        assert form is not None
        rep["authorization"] = {"form": form[0].value, "document_ref": form[1]}
        data["requestor"] = {
            "kind": "REPRESENTATIVE",
            "name": rep["name"],
            "phone": rep["phone"],
            "email": rep["email"],
        }
    else:
        data["requestor"].update(
            kind="SELF", name=f"{subject['given_name']} {subject['family_name']}"
        )
    data["requestor"]["language"] = language.value  # a representative writing is the requestor
    try:
        reading.submission = Submission.model_validate(data)
    except ValidationError as exc:
        reading.invalid = sorted({_label_of(e["loc"]) for e in exc.errors()})
    return reading


_CHECKS: dict[str, Any] = {
    "A-Number": normalize_a_number,
    "Phone": normalize_phone,
    "Representative phone": normalize_phone,
    "Email": normalize_email,
    "Representative email": normalize_email,
    "Date of birth": date.fromisoformat,
    "Local response date": date.fromisoformat,
}


def _check_each(fields: dict[str, str]) -> list[str]:
    """The identifiers and dates that are there but not valid, each on its own."""
    problems = []
    for label, check in _CHECKS.items():
        if label in fields:
            try:
                check(fields[label])
            except ValueError:
                problems.append(f"{label}: not valid")
    return problems


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _label_of(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as the template's label; the value is never quoted."""
    path = tuple(str(p) for p in loc)
    for size in (2, 1):
        if path[:size] in _PATHS:
            return f"{_PATHS[path[:size]]}: not valid"
    return f"{'.'.join(path) or 'inquiry'}: not valid"


def information_from(fields: dict[str, str]) -> dict[str, Any]:
    """A reply's labelled fields as a ``provide_information`` payload (without the actor)."""
    info: dict[str, Any] = {}
    for label, key in (("Date of birth", "date_of_birth"), ("Phone", "phone"), ("Email", "email")):
        if label in fields:
            info[key] = fields[label]
    if all(label in fields for label in REPRESENTATIVE[:3]):
        info["representative"] = {
            "name": fields["Representative name"],
            "email": fields["Representative email"],
            "phone": fields["Representative phone"],
        }
        if "Representative organization" in fields:
            info["representative"]["organization"] = fields["Representative organization"]
    return info
