"""The staff directory: file-backed to start, behind an interface a real directory replaces.

File format (JSON)::

    {"staff": [{"id": "fo.officer1", "roles": ["FIELD_OFFICE"], "field_offices": ["NEW_YORK_CITY"]},
               {"id": "sro.reviewer1", "roles": ["SRO"]}]}
"""

import json
from pathlib import Path
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

from domain.staff import StaffMember

_MEMBERS: TypeAdapter[list[StaffMember]] = TypeAdapter(list[StaffMember])


class StaffDirectory(Protocol):
    def members(self) -> dict[str, StaffMember]: ...


class DirectoryError(ValueError):
    """The directory cannot be read; the message names the file and the problem."""


class FileStaffDirectory:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._cache: tuple[float, dict[str, StaffMember]] | None = None

    def members(self) -> dict[str, StaffMember]:
        """Reread only when the file changed."""
        try:
            mtime = self._path.stat().st_mtime
            if self._cache is None or self._cache[0] != mtime:
                raw = json.loads(self._path.read_text())
                members = _MEMBERS.validate_python(raw["staff"])
                self._cache = (mtime, {m.id: m for m in members})
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            raise DirectoryError(f"staff directory {self._path}: {type(exc).__name__}") from None
        return self._cache[1]
