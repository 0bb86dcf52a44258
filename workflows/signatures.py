"""Who decided is proven, not claimed: a decision counts only under a valid stamp.

Before the case judges a decision this module checks that the payload was sealed by a key
holder (the worker's codec marks what it decrypted), that it carries a stamp of a principal of
the directory under a key the workers accept, fresh, and with a nonce the case has not seen;
that its body names this case; and that its actor *is* the stamped person (``actor`` may be left
out: the role is inferred when the person holds exactly one role the decision allows). Then the
rules that only signed decisions can enforce: a reviewer must hold SRO, and only the assigned
reviewer or a supervisor records the determination.

A refusal after a valid stamp names its signer (``rejected``'s actor): the attempt has a
proven who. One without a valid stamp names nobody: whatever its body claims is unproven.

Deterministic: keys and directory come from the case's own snapshot (a local activity in the
history), time from ``workflow.now()``.
"""

from datetime import datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from domain.case_file import CaseFile
from domain.decisions import (
    DECISIONS,
    AssignReviewer,
    Decision,
    RecordDetermination,
    RecordDocumentRead,
    Refusal,
)
from domain.roles import Actor, Role
from domain.staff import StaffMember, StaffSnapshot
from domain.stamps import SeenStamps
from security import stamp
from security.codec import SEALED
from security.readable import unreadable_reason as unreadable
from workflows.messages import decision_from_object, read_decision

CLOCK_SKEW = timedelta(minutes=5)
UNSIGNED = "unsigned"
FORGED = "forged"


def _refuse(reason: str, kind: str = UNSIGNED) -> Refusal:
    return Refusal(reason, None, kind)


SEND_SIGNED = (
    "it did not come through the codec server "
    "(send it from the Web UI, or with --codec-endpoint and your staff token)"
)


def check_stamp(
    payload: Payload,
    snapshot: StaffSnapshot | None,
    seen: SeenStamps,
    now: datetime,
    what: str = "decision",
    how: str = SEND_SIGNED,
) -> tuple[StaffMember, stamp.Stamp] | Refusal:
    """The stamped principal, or why the ``what`` (a decision, a submission) is not signed
    well enough to count; ``how`` tells an unsigned sender how to sign."""
    checked = _check_stamp(payload, snapshot, seen, now, how)
    if isinstance(checked, Refusal) and what != "decision":
        reason = checked.reason.replace("the decision", f"the {what}")
        return Refusal(reason, None, checked.kind)
    return checked


def _check_stamp(
    payload: Payload, snapshot: StaffSnapshot | None, seen: SeenStamps, now: datetime, how: str
) -> tuple[StaffMember, stamp.Stamp] | Refusal:
    if SEALED not in payload.metadata:
        return _refuse(f"the decision is not signed: {how}")
    if stamp.SIGNATURE not in payload.metadata:
        return _refuse(f"the decision is not signed: {how}")
    if snapshot is None:
        return _refuse("the decision cannot be verified: the worker has no staff directory")
    try:
        claimed, _ = stamp.read(payload)
    except stamp.StampError as exc:
        return _refuse(str(exc))
    member = snapshot.members.get(claimed.signer)
    if member is None:
        return _refuse(
            f"the decision is not signed by anyone in the staff directory as of "
            f"{snapshot.loaded_at:%Y-%m-%d %H:%M} UTC"
        )
    keys = member.public_keys if member.service else snapshot.stamp_keys
    encoded = keys.get(claimed.key_id)
    if encoded is None:
        return _refuse(
            "the decision is signed with a key the workers do not accept "
            "(unknown or rotated out); send it again"
        )
    try:
        checked = stamp.verify(payload, encoded)
    except (stamp.StampError, ValueError) as exc:
        return _refuse(str(exc) if isinstance(exc, stamp.StampError) else "bad stamp key")
    fresh = timedelta(hours=snapshot.stamp_freshness_hours)
    if now - checked.signed_at > fresh:
        return _refuse(
            f"the decision's signature has expired (signed more than "
            f"{snapshot.stamp_freshness_hours:g} hours ago); send it again"
        )
    if checked.signed_at - now > CLOCK_SKEW:
        return _refuse("the decision's signature is dated in the future; check the clock")
    replayed = seen.refusal(checked.nonce, checked.signed_at)
    if replayed is not None:
        return _refuse(replayed, "replayed")
    return member, checked


def _signer(member: StaffMember, value: object) -> Actor | None:
    """Who a valid stamp proves sent the decision: the person, in the role the body claims
    when they hold it, else their first role."""
    claimed = value.get("actor") if isinstance(value, dict) else None
    role = claimed.get("role") if isinstance(claimed, dict) else None
    roles = [r for r in member.roles if r == role] or list(member.roles)
    return Actor(id=member.id, role=roles[0]) if roles else None


def _named(refusal: Refusal, signer: Actor | None) -> Refusal:
    """A refusal under a valid stamp names its signer: the refused attempt has a who."""
    if refusal.actor is not None or signer is None:
        return refusal
    return Refusal(refusal.reason, signer, refusal.kind)


def _bind_actor(
    name: str, value: dict[str, Any], member: StaffMember, case_id: str
) -> dict[str, Any] | Refusal:
    """The body with its actor set to the signer and its case checked."""
    if value.get("case_id") is None:
        return _refuse(
            f"case_id is required: name the case this decision is for ({case_id})", "invalid"
        )
    if value["case_id"] != case_id:
        return _refuse("the decision names another case (case_id); it is refused here", FORGED)
    rule = DECISIONS[name]
    claimed = value.get("actor")
    if claimed is not None and not isinstance(claimed, dict):
        return _refuse('actor must be an object like {"id": …, "role": …} or left out', "invalid")
    if claimed is not None and claimed.get("id") != member.id:
        return _refuse(
            "the decision's actor is not the person who signed it: leave actor out, "
            "or name yourself",
            FORGED,
        )
    role = claimed.get("role") if claimed else None
    if role is None:
        roles = [r for r in member.roles if r in rule.roles]
        if not roles:
            allowed = ", ".join(sorted(rule.roles))
            return Refusal(f"you hold no role that may {name}; allowed: {allowed}", None, "role")
        if len(roles) > 1:
            return _refuse(
                "you hold several roles that may do this: say which (actor.role)", "role"
            )
        role = roles[0].value
    return {**value, "actor": {"id": member.id, "role": role}}


def _signed_rules(case: CaseFile, decision: Decision, member: StaffMember) -> Refusal | None:
    """Rules that only a proven actor makes meaningful."""
    snapshot = case.staff
    if isinstance(decision, AssignReviewer) and snapshot is not None:
        reviewer = snapshot.members.get(decision.reviewer_id)
        if reviewer is None or Role.SRO not in reviewer.roles or reviewer.service:
            return Refusal(
                "the reviewer must be a person holding the SRO role", decision.actor, "directory"
            )
    if (
        isinstance(decision, RecordDetermination)
        and case.assigned_reviewer is not None
        and decision.actor.id != case.assigned_reviewer
        and Role.SUPERVISOR not in member.roles
    ):
        return Refusal(
            "only the case's assigned reviewer or a supervisor may record the determination",
            decision.actor,
            "directory",
        )
    if isinstance(decision, RecordDocumentRead) and snapshot is not None:
        # Only the codec server knows who read: a person cannot record a read, theirs or not.
        reader = snapshot.members.get(decision.reader)
        if not member.service or reader is None or reader.service:
            return Refusal(
                "a document read is recorded by the codec server's service identity, "
                "for a person in the staff directory",
                decision.actor,
                "directory",
            )
    return None


def judge_signed(
    case: CaseFile, name: str, args: tuple[Any, ...], converter: PayloadConverter, now: datetime
) -> Decision | Refusal:
    """The one path of a signed decision: stamp, body, directory, then the case's own rules."""
    raw = args[0] if len(args) == 1 and isinstance(args[0], RawValue) else None
    if raw is None or not (raw.payload.data or raw.payload.metadata) or unreadable(raw.payload):
        return read_decision(name, args, converter)  # names the count, emptiness or damage
    verified = check_stamp(raw.payload, case.staff, case.seen_stamps, now)
    if isinstance(verified, Refusal):
        return verified
    member, _ = verified
    try:
        value: Any = converter.from_payload(raw.payload)
    except Exception:  # read_decision names the problem below
        value = None
    signer = _signer(member, value)
    judged = _judge_body(case, name, args, converter, value, member)
    return _named(judged, signer) if isinstance(judged, Refusal) else judged


def _judge_body(
    case: CaseFile,
    name: str,
    args: tuple[Any, ...],
    converter: PayloadConverter,
    value: Any,
    member: StaffMember,
) -> Decision | Refusal:
    """The stamped body: it names this case and its signer, then the directory and the rules."""
    if not isinstance(value, dict):
        return read_decision(name, args, converter)  # names what arrived instead
    bound = _bind_actor(name, value, member, case.case_id)
    if isinstance(bound, Refusal):
        return bound
    decision = decision_from_object(name, bound)  # parsed once: floods stay cheap
    if isinstance(decision, Refusal):
        return decision
    if case.staff is not None:
        refused = case.staff.refusal(
            decision.actor.id, decision.actor.role, case.submission.field_office
        )
        if refused is not None:
            return Refusal(refused, decision.actor, "directory")
    rule = DECISIONS[name]
    if decision.actor.role not in rule.roles:  # checked here too: a repeated decision_id
        allowed = ", ".join(sorted(rule.roles))  # skips the case's own role check
        reason = f"role {decision.actor.role} may not {name}; allowed: {allowed}"
        return Refusal(reason, decision.actor, "role")
    return case.judge(name, decision) or _signed_rules(case, decision, member) or decision


def remember_stamp(case: CaseFile, args: tuple[Any, ...], now: datetime) -> None:
    """Note an accepted decision's nonce, so the same stamp never counts twice."""
    if len(args) != 1 or not isinstance(args[0], RawValue):
        return
    try:
        claimed, _ = stamp.read(args[0].payload)
    except stamp.StampError:
        return
    hours = case.staff.stamp_freshness_hours if case.staff is not None else 72
    fresh = timedelta(hours=hours) + CLOCK_SKEW
    case.seen_stamps.remember(claimed.nonce, claimed.signed_at, now, fresh)
