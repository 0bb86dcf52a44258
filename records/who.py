"""Who runs a release: the person the staff token names, holding RECORDS in the directory.

What a caller types is no proof: the token is checked the way the codec server checks it
(static pairs in development, an OIDC access token's signature, issuer, audience and expiry in
production), and the role is read from the staff directory. Each refusal is logged (who, which
case, why), never a token.
"""

import structlog

from cli_exits import Refused
from clients import staff_token
from codec_server.app import authenticator_from_settings
from domain.roles import Role
from security.directory import FileStaffDirectory
from settings import Settings

log = structlog.get_logger("icr.records")


async def records_officer(settings: Settings, case_id: str) -> str:
    """The staff id of the records officer running the release; Refused otherwise."""
    token = staff_token(settings)
    if not token:
        raise Refused("release: only records staff may release: set ICR_STAFF_TOKEN")
    if settings.staff_directory is None:
        raise Refused("release: no staff directory (ICR_STAFF_DIRECTORY) to check the role in")
    try:
        staff_id = await authenticator_from_settings(settings).staff_id(token)
    except SystemExit as exc:  # neither static tokens nor OIDC configured
        raise Refused(f"release: cannot check the token: {exc}") from None
    if staff_id is None:
        log.warning("security.release_refused", case_id=case_id, reason="unknown token")
        raise Refused("release: the staff token names no one")
    member = FileStaffDirectory(settings.staff_directory).members().get(staff_id)
    if member is None or Role.RECORDS not in member.roles:
        log.warning(
            "security.release_refused", case_id=case_id, staff_id=staff_id, reason="no RECORDS"
        )
        raise Refused(
            f"release: staff {staff_id} does not hold role RECORDS in the staff directory"
        )
    return staff_id
