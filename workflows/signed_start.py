"""Who started the case is proven too: a new case opens only under a valid stamp.

The start input arrives undecoded (``RawValue``) when it is one payload, so the case keeps the
payload's metadata (the stamp, and the worker codec's mark that a key holder sealed it) and
decodes the value itself. After the opening local activity has captured the directory, the
stamp is judged by the rules of decisions (sealed by a key holder, a principal of that
directory, a key the workers accept, fresh) and the principal must hold ``INTAKE``: intake
staff, and the service identities that open cases (an integrating system's starter, the mail
gateway). The payload must also be bound to this case (the worker codec's ``BOUND_TO`` mark,
which only decryption sets): a signed start copied out of one case's history opens no other. A
continued run's carried input is the case's own and is not stamped.

Deterministic: the directory comes from the case's own snapshot, time from ``workflow.now()``.
Cases started before the patch ``signed-starts`` replay as they were.
"""

from datetime import datetime
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from domain.decisions import Refusal
from domain.roles import Role
from domain.staff import StaffSnapshot
from domain.stamps import SeenStamps
from domain.starting import UNREADABLE_FIELD
from security.codec import BOUND_TO
from workflows.signatures import check_stamp

STARTER_ROLE = Role.INTAKE
"""The role a principal must hold to start a case (docs/contract.md, "Who may start a case")."""
SIGN_THE_START = (
    "it did not come through a signing starter (starter.py submit with the integrating "
    "system's service key, or with your staff token through the codec server)"
)


def decoded(args: tuple[Any, ...], converter: PayloadConverter) -> tuple[Any, ...]:
    """The start inputs as values, as the SDK would have decoded them without type hints."""
    return tuple(_value(a, converter) for a in args)


def _value(arg: Any, converter: PayloadConverter) -> Any:
    if not isinstance(arg, RawValue):
        return arg
    try:
        return converter.from_payload(arg.payload)
    except Exception:  # the worker's codec leaves only readable JSON; never fail the task
        return {UNREADABLE_FIELD: "the payload could not be read"}


def start_payload(args: tuple[Any, ...]) -> Payload | None:
    """The one stamped payload of a start, or None when it came otherwise."""
    return args[0].payload if len(args) == 1 and isinstance(args[0], RawValue) else None


BIND_THE_START = (
    "the submission is not bound to this case: a start is sealed for the case id it opens "
    "(starter.py submit binds it), and one copied from another case does not count"
)


def start_refusal(
    payload: Payload | None, snapshot: StaffSnapshot | None, now: datetime, case_id: str
) -> str | None:
    """Why this start does not count (the rule broken, nothing of the input), or None."""
    if payload is None:
        return "a case starts with one submission, signed by its sender"
    verified = check_stamp(payload, snapshot, SeenStamps(), now, "submission", SIGN_THE_START)
    if isinstance(verified, Refusal):
        return verified.reason
    if payload.metadata.get(BOUND_TO) != case_id.encode():
        return BIND_THE_START
    member, _ = verified
    if STARTER_ROLE not in member.roles:
        return f"the submission's signer may not start cases (the {STARTER_ROLE} role may)"
    return None
