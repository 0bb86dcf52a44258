"""A signal and an update, of the same name, for every decision of the table.

Why a class decorator rather than ``workflow.set_signal_handler`` at run time: the UI's *Send
a Signal* and *Send an Update* drop-downs list what the workflow definition declares, with the
description given to ``@workflow.signal``/``@workflow.update``. Dynamic registration takes no
description, and handlers registered in ``run`` exist only once a run has started, so a worker
without the case in its cache could not name them. Declaring them on the class from
``DECISIONS`` keeps the one table as the source while the SDK sees ordinary handlers.
"""

from typing import TypeVar

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from domain.decisions import DECISIONS, DecisionRule
    from domain.status import CaseStatus
    from workflows.messages import NO_PAYLOAD

WorkflowClass = TypeVar("WorkflowClass", bound=type)


def with_decision_handlers(cls: WorkflowClass) -> WorkflowClass:
    """Install a signal, an update and its validator for every decision of the contract; each
    calls the class's ``on_signal``, ``validate`` or ``on_update`` with the decision's name.

    Payloads arrive as ``RawValue`` so the SDK never decodes them itself: however broken, a
    payload reaches the case's own reader, which refuses it in words instead of failing the task.
    """
    for rule in DECISIONS.values():
        _install(cls, rule)
    return cls


def _install(cls: type, rule: DecisionRule) -> None:
    # ``self`` stays unannotated: the SDK skips only an unannotated first parameter.
    name = rule.name

    async def on_signal(self, payload: RawValue = NO_PAYLOAD) -> None:  # type: ignore[no-untyped-def]
        await self.on_signal(name, payload)

    async def on_update(self, payload: RawValue = NO_PAYLOAD) -> CaseStatus:  # type: ignore[no-untyped-def]
        status: CaseStatus = await self.on_update(name, payload)
        return status

    def validate(self, payload: RawValue = NO_PAYLOAD) -> None:  # type: ignore[no-untyped-def]
        self.validate(name, payload)

    for fn, kind in ((on_signal, "signal"), (on_update, "update"), (validate, "validate")):
        fn.__name__ = fn.__qualname__ = f"{kind}_{name}"
    update = workflow.update(name=name, description=rule.description)(on_update)
    update.validator(validate)
    setattr(
        cls, f"signal_{name}", workflow.signal(name=name, description=rule.description)(on_signal)
    )
    setattr(cls, f"update_{name}", update)
