"""``/decode`` scoped by role and field office, decided per payload from the case it is bound to.

The case id comes from the payload's own metadata, authenticated as associated data
(``security.codec``), never from the UI; the case's field office from its ``FieldOffice``
search attribute, read once per case through the Temporal client and cached (a case never
changes office). Only a run a raw client could not have faked is trusted for it: of type
``CaseReviewWorkflow``, on the workers' case task queue, and not failed (an outsider's refused
start fails at once, whatever office it named); any other latest run under the id leaves the
office unknown, so its payloads go back still encrypted. A payload the person may not read
goes back as it came, still encrypted: the UI shows it as encoded, and the answer reveals
nothing. Each request logs, per case, who
asked, how many payloads and whether they were read; never content.
"""

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

import structlog
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowExecutionStatus

from domain.access import may_read_case, reads_every_case
from domain.case_id import is_case_id
from domain.field_office import FieldOffice
from domain.staff import StaffMember
from security.codec import CASE_HEADER, ENCODING, EncryptionCodec, bound_case
from workflows import search_attributes as search

log = structlog.get_logger("icr.codec")
Connect = Callable[[], Awaitable[Client]]
MAX_CASES_PER_REQUEST = 50
"""The UI decodes one case at a time; a request naming more cases than this is not served past
them (each unknown case costs a lookup at Temporal)."""


class CaseOffices:
    """Each case's field office, as its workflow publishes it; at most ``limit`` kept."""

    def __init__(self, connect: Connect, task_queue: str, limit: int = 10_000) -> None:
        self._connect = connect
        self._task_queue = task_queue
        self._client: Client | None = None
        self._limit = limit
        self._known: OrderedDict[str, FieldOffice] = OrderedDict()

    async def office(self, case_id: str) -> FieldOffice | None:
        if case_id in self._known:
            self._known.move_to_end(case_id)
            return self._known[case_id]
        try:
            if self._client is None:
                self._client = await self._connect()
            described = await self._client.get_workflow_handle(case_id).describe()
        except Exception:  # unknown case or Temporal unreachable: the office stays unknown
            log.warning("codec.case_office_unknown", case_id=case_id)
            return None
        if (
            described.workflow_type != search.CASE_WORKFLOW
            or described.task_queue != self._task_queue
            or described.status is WorkflowExecutionStatus.FAILED
        ):
            # another type, another queue's worker, or a refused start: proves nothing
            log.warning("security.case_run_untrusted", case_id=case_id)
            return None
        try:
            office = FieldOffice(described.typed_search_attributes.get(search.FIELD_OFFICE, ""))
        except ValueError:
            return None
        self._known[case_id] = office
        if len(self._known) > self._limit:
            self._known.popitem(last=False)
        return office


class DecodeScope:
    """Decrypts what the person may read; everything else goes back untouched."""

    def __init__(self, codec: EncryptionCodec, offices: CaseOffices | None) -> None:
        self._codec = codec
        self._offices = offices

    async def may_read(self, member: StaffMember | None, case_id: str | None) -> bool:
        if reads_every_case(member):
            return True
        if case_id is None or self._offices is None:
            return False
        return may_read_case(member, await self._offices.office(case_id))

    async def decode(
        self,
        staff_id: str,
        member: StaffMember | None,
        payloads: Sequence[Payload],
        unrestricted: bool = False,
    ) -> list[Payload]:
        """``member``: the person's directory entry; ``unrestricted``: no directory is
        configured (development), so every payload is read. Raises ``UndecryptablePayload``
        for a damaged payload the person may read."""
        verdicts: dict[str | None, bool] = {}
        counts: dict[str | None, int] = {}
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(self._codec.decrypt(payload))  # nothing sealed to protect
                continue
            case_id = bound_case(payload)
            if case_id not in verdicts:
                # A flood of case ids in one request costs lookups: past the cap, refused.
                crowded = len(verdicts) >= MAX_CASES_PER_REQUEST
                verdicts[case_id] = (
                    unrestricted
                    or reads_every_case(member)
                    or (not crowded and await self.may_read(member, case_id))
                )
            counts[case_id] = counts.get(case_id, 0) + 1
            out.append(self._codec.decrypt(payload) if verdicts[case_id] else payload)
        for case_id, allowed in verdicts.items():
            event = "codec.decoded" if allowed else "security.decode_refused"
            log.info(event, staff_id=staff_id, case_id=case_id, payloads=counts[case_id])
        if not verdicts:
            log.info("codec.decoded", staff_id=staff_id, case_id=None, payloads=len(payloads))
        return out


def named_case(payload: Payload) -> str | None:
    """The case a JSON object names in ``case_id`` (every decision body does), for binding
    what staff send through ``/encode``; None otherwise."""
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        body = json.loads(payload.data)
    except (ValueError, RecursionError):
        return None
    case_id = body.get("case_id") if isinstance(body, dict) else None
    return case_id if isinstance(case_id, str) and is_case_id(case_id) else None


def encode_cases(payloads: Sequence[Payload], header: str | None) -> list[str | None] | str:
    """The case each payload of an ``/encode`` is sealed for: the one its body names (every
    decision's does) or the starter's workflow id in ``X-Case-Id`` (a start has only that);
    both must agree. A str is why the request is refused."""
    if header is not None and not is_case_id(header):
        return f"{CASE_HEADER} must be a case id"
    named = [named_case(p) for p in payloads]
    if header is not None and any(n is not None and n != header for n in named):
        return f"a payload's case_id disagrees with {CASE_HEADER}"
    return [header or n for n in named]
