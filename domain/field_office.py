"""The 25 ERO field offices: a case belongs to exactly one of them."""

from enum import StrEnum


class FieldOffice(StrEnum):
    ATLANTA = "ATLANTA"
    BALTIMORE = "BALTIMORE"
    BOSTON = "BOSTON"
    BUFFALO = "BUFFALO"
    CHICAGO = "CHICAGO"
    DALLAS = "DALLAS"
    DENVER = "DENVER"
    DETROIT = "DETROIT"
    EL_PASO = "EL_PASO"
    HARLINGEN = "HARLINGEN"
    HOUSTON = "HOUSTON"
    LOS_ANGELES = "LOS_ANGELES"
    MIAMI = "MIAMI"
    NEW_ORLEANS = "NEW_ORLEANS"
    NEW_YORK_CITY = "NEW_YORK_CITY"
    NEWARK = "NEWARK"
    PHILADELPHIA = "PHILADELPHIA"
    PHOENIX = "PHOENIX"
    SALT_LAKE_CITY = "SALT_LAKE_CITY"
    SAN_ANTONIO = "SAN_ANTONIO"
    SAN_DIEGO = "SAN_DIEGO"
    SAN_FRANCISCO = "SAN_FRANCISCO"
    SEATTLE = "SEATTLE"
    ST_PAUL = "ST_PAUL"
    WASHINGTON = "WASHINGTON"

    @property
    def mailbox_local_part(self) -> str:
        """The local part of the office's shared mailbox, e.g. ``ero-new-york-city``."""
        return "ero-" + self.value.lower().replace("_", "-")
