"""A signal and an update, of the same name, for every decision of the table.

Why a class decorator rather than ``workflow.set_signal_handler`` at run time: the UI's *Send
a Signal* and *Send an Update* drop-downs list what the workflow definition declares, with the
description given to ``@workflow.signal``/``@workflow.update``. Dynamic registration takes no
description, and handlers registered in ``run`` exist only once a run has started, so a worker
without the case in its cache could not name them. Declaring them on the class from
``DECISIONS`` keeps the one table as the source while the SDK sees ordinary handlers.
"""

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, get_type_hints

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
    Signal handlers are plain functions that only take in: the SDK runs them without a wait.
    """
    for rule in DECISIONS.values():
        _install(cls, rule)

    def on_unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:  # type: ignore[no-untyped-def]
        self.on_unknown_signal()  # the name is the sender's text: it goes no further

    cls.signal_unknown = workflow.signal(  # type: ignore[attr-defined]
        dynamic=True, description=UNKNOWN_SIGNAL_DESCRIPTION
    )(on_unknown_signal)
    return cls


UNKNOWN_SIGNAL_DESCRIPTION = (
    "Any other signal name: no decision has it. It is recorded as refused, so the case "
    "wakes and stays small instead of keeping the signal unread."
)


def _install(cls: type, rule: DecisionRule) -> None:
    name = rule.name

    def on_signal(self, *args: Any) -> None:  # type: ignore[no-untyped-def]
        self.on_signal(name, args)  # takes in only: constant work (workflows.inbox)

    async def on_update(self, *args: Any) -> CaseStatus:  # type: ignore[no-untyped-def]
        status: CaseStatus = await self.on_update(name, args)
        return status

    def validate(self, *args: Any) -> None:  # type: ignore[no-untyped-def]
        self.validate(name, args)

    for fn, kind in ((on_signal, "signal"), (on_update, "update"), (validate, "validate")):
        fn.__name__ = fn.__qualname__ = f"{kind}_{name}"
        show_one_raw_argument(fn)
    update = workflow.update(name=name, description=rule.description)(on_update)
    update.validator(validate)
    setattr(
        cls, f"signal_{name}", workflow.signal(name=name, description=rule.description)(on_signal)
    )
    setattr(cls, f"update_{name}", update)


def show_one_raw_argument(fn: Callable[..., Any]) -> None:
    """Let the SDK see one optional ``RawValue`` parameter while the function takes any number.

    The SDK applies type hints only when the argument count matches them: then the one payload
    arrives undecoded (``RawValue``) for the case's own reader. Any other count arrives decoded
    without hints, and a function of one parameter would raise ``TypeError`` and fail the
    workflow task; this one takes them all and the reader refuses them by their count.
    """
    returns = get_type_hints(fn).get("return")
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(
                "payload",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=NO_PAYLOAD,
                annotation=RawValue,
            ),
        ],
        return_annotation=returns,
    )
    fn.__annotations__ = {"payload": RawValue, "return": returns}
