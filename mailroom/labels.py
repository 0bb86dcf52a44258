"""The inquiry template's labels, in English and in Spanish (docs/inquiry-email.md).

A label is known by its letters alone: case, accents, spaces and dashes do not matter, so
"Número A", "NUMERO A" and "Numero-A" are the same label.
"""

import re
import unicodedata

from domain.language import Language

REQUIRED = (
    "A-Number",
    "Given name",
    "Family name",
    "Date of birth",
    "Country of birth",
    "Phone",
    "Email",
    "Field office",
    "Detained",
    "Local response date",
    "Local response finding",
    "Local response summary",
    "Grounds",
)
REPRESENTATIVE = (
    "Representative name",
    "Representative email",
    "Representative phone",
    "Representative organization",
)
#: optional: names the attached form (else its file name tells, else G-28 is assumed)
FORM_LABEL = "Authorization form"
#: optional: the language of the replies and letters (else told by the labels used)
LANGUAGE_LABEL = "Language"
LABELS = (*REQUIRED, *REPRESENTATIVE, FORM_LABEL, LANGUAGE_LABEL)
SPANISH: dict[str, str] = {
    "A-Number": "Número A",
    "Given name": "Nombre",
    "Family name": "Apellidos",
    "Date of birth": "Fecha de nacimiento",
    "Country of birth": "País de nacimiento",
    "Phone": "Teléfono",
    "Email": "Correo electrónico",
    "Field office": "Oficina",
    "Detained": "Detenido",
    "Local response date": "Fecha de la respuesta local",
    "Local response finding": "Resultado de la respuesta local",
    "Local response summary": "Resumen de la respuesta local",
    "Grounds": "Motivos",
    "Representative name": "Nombre del representante",
    "Representative email": "Correo electrónico del representante",
    "Representative phone": "Teléfono del representante",
    "Representative organization": "Organización del representante",
    FORM_LABEL: "Formulario de autorización",
    LANGUAGE_LABEL: "Idioma",
}
"""Each label's Spanish form (the inquiry template in Spanish, docs/inquiry-email.md)."""
assert set(SPANISH) == set(LABELS), "every label has its Spanish form"


def fold(text: str) -> str:
    """``text`` without accents: "Número" and "Numero" are the same label."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def label_key(label: str) -> str:
    return re.sub(r"[^a-z]", "", fold(label).lower())


BY_KEY = {label_key(label): label for label in LABELS}
SPANISH_KEYS = {label_key(spanish): label for label, spanish in SPANISH.items()}
BY_KEY.update(SPANISH_KEYS)
assert len(BY_KEY) == 2 * len(LABELS), "no Spanish label is an English one"


def language_code(value: str) -> str:
    """``es`` or ``en`` for what a correspondent wrote as their language."""
    word = fold(value).strip().lower()
    if word in ("es", "espanol", "spanish", "castellano"):
        return Language.ES.value
    if word in ("en", "english", "ingles"):
        return Language.EN.value
    raise ValueError("write en or es")
