"""Creating the Schedules of workflows.schedules on a cluster, idempotently (setup runs it on
every start; deploy/temporal/setup-namespace.sh does the same with the temporal CLI)."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)

from workflows.schedules import SCHEDULES, ScheduledJob


def schedule_of(job: ScheduledJob, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            job.workflow_type, id=job.schedule_id, task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(job.hour)], minute=[ScheduleRange(job.minute)]
                )
            ]
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=6)
        ),
        state=ScheduleState(note=job.note),
    )


async def ensure_schedules(client: Client, task_queue: str) -> list[tuple[str, str]]:
    """Create each missing Schedule; an existing one is left as the operator may have paused
    or changed it. Returns (schedule id, "created" | "exists")."""
    done = []
    for job in SCHEDULES:
        try:
            await client.create_schedule(job.schedule_id, schedule_of(job, task_queue))
            done.append((job.schedule_id, "created"))
        except ScheduleAlreadyRunningError:
            done.append((job.schedule_id, "exists"))
    return done
