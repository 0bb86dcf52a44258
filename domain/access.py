"""Who may read which case: the rule the codec server applies to ``/decode`` and documents.

The national roles (SRO, supervisor, intake, ICE attorney) work every case and read every case.
Field-office staff read the cases of their own offices only. A service identity reads nothing
through the codec server (it does not sign in). A payload that names no case (sealed before
payloads were bound to their case) is read only by the national roles: its office is unknown.
"""

from domain.field_office import FieldOffice
from domain.roles import Role
from domain.staff import StaffMember

NATIONAL_ROLES = frozenset({Role.SRO, Role.SUPERVISOR, Role.INTAKE, Role.ICE_ATTORNEY})


def reads_every_case(member: StaffMember | None) -> bool:
    return member is not None and not member.service and bool(NATIONAL_ROLES & set(member.roles))


def may_read_case(member: StaffMember | None, office: FieldOffice | None) -> bool:
    """``office``: the case's field office, None when unknown (no case named, none found)."""
    if member is None or member.service:
        return False
    if reads_every_case(member):
        return True
    return office is not None and office in member.field_offices
