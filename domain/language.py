"""The language a correspondent reads: letters to them are written in it.

A code (ISO 639-1), never a name: it is shown in status and the desk as is. A language is added
by adding its member here and its catalogue (``activities.catalogues``); a test holds them in
step.
"""

from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    ES = "es"


DEFAULT_LANGUAGE = Language.EN
