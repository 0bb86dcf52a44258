"""structlog bound to the case, for workflow code: silent on replay, so history never logs
twice, and best effort, so a failing log sink never fails a workflow task."""

import contextlib
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import structlog


def case_log(event: str, **fields: Any) -> None:
    """The bench found a broken stdout failing tasks once; a log line is never worth that."""
    if workflow.unsafe.is_replaying():
        return
    info = workflow.info()
    with contextlib.suppress(Exception):
        structlog.get_logger("icr.workflow").info(
            event,
            case_id=info.workflow_id,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            workflow_type=info.workflow_type,
            **fields,
        )
