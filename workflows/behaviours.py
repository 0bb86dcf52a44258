"""Which behaviours a case runs with: one marker for a new case, the old questions for old ones.

Every change a running case would see came in behind a patch, and asking each on every new case
costs it a marker and a ``TemporalChangeVersion`` upsert apiece: history the server writes for
no decision. A case started since ``SETTLED`` records that one marker and takes every behaviour
in ``SETTLED_PATCHES``; a case started before it does not have the marker, so it asks the old
patches where it always asked them and replays as it ran. A patch added later is asked on its own
until the next settlement names it. Code rolled back past this module would not know the marker,
so roll back only to a version that has it.
"""

from temporalio import workflow

SIGNED_DECISIONS = "signed-decisions"
NOTICE_QUEUE = "notice-task-queue"
ONE_OPENING_ACTIVITY = "one-opening-activity"
DAILY_REMINDER_ROUNDS = "daily-reminder-rounds"
WITHDRAWAL_NOTICE = "withdrawal-notice"
ONE_STEP_PER_TASK = "one-step-per-task"
UNKNOWN_SIGNALS_REFUSED = "unknown-signals-refused"  # came with the settlement: has_new()
SUMMARY_RESULTS = "summary-update-results"  # came with the settlement: has_new()
SIGNED_STARTS = "signed-starts"
"""Asked in the workflow's init: a new case opens only under a valid stamp."""

SETTLED = "settled-2026-11"
SETTLED_PATCHES = frozenset(
    {
        SIGNED_DECISIONS,
        NOTICE_QUEUE,
        ONE_OPENING_ACTIVITY,
        DAILY_REMINDER_ROUNDS,
        WITHDRAWAL_NOTICE,
        ONE_STEP_PER_TASK,
        UNKNOWN_SIGNALS_REFUSED,
        SIGNED_STARTS,
        SUMMARY_RESULTS,
    }
)


class Behaviours:
    """Asked once, in the workflow's init: a case's first activation, the same on every replay."""

    def __init__(self) -> None:
        self._settled = workflow.patched(SETTLED)

    def has(self, patch_id: str) -> bool:
        """Whether this case runs with the behaviour ``patch_id`` brought in. Asked where the
        patch was always asked, so that a case older than ``SETTLED`` replays unchanged."""
        if self._settled and patch_id in SETTLED_PATCHES:
            return True
        return workflow.patched(patch_id)

    def has_new(self, patch_id: str) -> bool:
        """A behaviour that came with the settlement itself: a case older than it never takes
        it, so no patch is first asked mid-run (asked after a local activity, a marker can land
        a task later than replay looks for it)."""
        return self._settled and patch_id in SETTLED_PATCHES
