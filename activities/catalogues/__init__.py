"""Catalogues of the words correspondents read, one per language, with the same named
placeholders: a plain module per language (``en``, ``es``), so a translator edits text only.

Staff letters (``activities.letters.staff_letter``) stay English and are not catalogued.
"""

from collections.abc import Mapping
from datetime import date
from string import Formatter

from babel.dates import format_date

from activities.catalogues import en, es
from domain.language import Language

CATALOGUES: Mapping[Language, Mapping[str, str]] = {Language.EN: en.TEXTS, Language.ES: es.TEXTS}


def words(language: Language, key: str, **values: object) -> str:
    """The catalogue's text for ``key`` with its placeholders filled."""
    return CATALOGUES[language][key].format(**values)


def placeholders(template: str) -> frozenset[str]:
    """The named placeholders of a template (what every catalogue must agree on)."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)


def written_date(value: date, language: Language) -> str:
    """A date as people write it in ``language`` (CLDR's long form: "2 de noviembre de 2026")."""
    return format_date(value, format="long", locale=language.value)


def key_of(english: str, prefix: str) -> str | None:
    """The key of an English phrase under ``prefix``: turns a reason another module wrote in
    English (``mailroom``) into the reader's language."""
    return next(
        (k for k, v in en.TEXTS.items() if k.startswith(prefix) and v == english),
        None,
    )
