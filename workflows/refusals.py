"""How a refusal travels back to whoever sent the decision: its reason, without a stack trace."""

from collections import Counter

from temporalio import workflow
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.decisions import Refusal
    from workflows.case_log import case_log
    from workflows.inbox import UNKNOWN
    from workflows.metrics import CaseMetrics

REFUSAL_ERROR_TYPE = "DecisionRejected"
"""The failure type callers see for a refused update (public: clients match on it)."""


def refusal_error(reason: str) -> ApplicationError:
    """A refusal as an update's failure. Its reason is built from rule texts, field names and
    staff ids only, never from a case's personal data, so it may travel unencrypted to the UI's
    dialog."""
    return ApplicationError(reason, type=REFUSAL_ERROR_TYPE, non_retryable=True)


class StaffFailureConverter(DefaultFailureConverter):
    """The UI shows a failure's stack trace under its message; for a rule staff broke, the
    message is the whole story and the trace only hides it. With ``encode_common_attributes``
    (payload encryption on) every other failure's message and trace travel encrypted, while a
    refusal stays readable: the UI's update dialog does not decode failures."""

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        super().__init__(encode_common_attributes=encode_common_attributes)
        self._plain = DefaultFailureConverter()

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, ApplicationError) and exception.type == REFUSAL_ERROR_TYPE:
            self._plain.to_failure(exception, payload_converter, failure)
            failure.stack_trace = ""
            return
        super().to_failure(exception, payload_converter, failure)


class EncryptedStaffFailureConverter(StaffFailureConverter):
    """With payload encryption: messages and traces travel in the (encrypted) attributes."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


QUIET_KINDS = frozenset({"unsigned", "malformed", "empty", "unknown", "inbox-full", "replayed"})
"""Refusals anyone can cause for nothing (a replay is a copy of a sealed payload out of a
history): counted, one summary line per slice, never a line each. Every other refusal carried
a sealed payload (only key holders make those) and is logged with the proven signer, if any."""


SECURITY_KINDS = frozenset({"directory", "forged"})
"""Refusals of a sealed payload that break a rule of who may decide: the security log's."""


class RefusalTally:
    """Counts refusals while the case judges a slice, then reports them at once: a flood of
    refusals costs a counter increment each, not a metric call and a log line each."""

    def __init__(self, metrics: CaseMetrics) -> None:
        self._metrics = metrics
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def refused(self, name: str, via: str, refusal: Refusal) -> None:
        self._counts[(name, via, refusal.kind)] += 1
        if refusal.kind in QUIET_KINDS:
            return
        actor = refusal.actor
        security = refusal.kind in SECURITY_KINDS
        case_log(
            "security.decision_refused" if security else "decision.rejected",
            decision=name,
            via=via,
            staff_id=actor.id if actor else None,
            role=actor.role if actor else None,
            reason_class=refusal.kind,
            reason=refusal.reason,
        )

    def unread(self, count: int) -> None:
        self._counts[(UNKNOWN, "signal", "inbox-full")] += count

    def flush(self) -> None:
        """One metric add per kind and one log line for the slice."""
        if not self._counts:
            return
        for (name, via, kind), count in self._counts.items():
            self._metrics.decision(name, via, "rejected", kind, count)
        case_log(
            "decisions.refused",
            count=sum(self._counts.values()),
            by_class=dict(Counter({kind: n for (_, _, kind), n in self._counts.items()})),
        )
        self._counts.clear()
