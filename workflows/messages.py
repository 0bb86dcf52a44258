"""Reading a decision from whatever arrived: one path for signals and updates alike.

Handlers take the raw payloads (``RawValue``), however many arrive, so that nothing a sender
puts in the envelope can fail the workflow task inside the SDK's own decoding or calling;
every problem comes back here as a reason in words.
"""

from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from domain.decisions import DECISIONS, Decision, Refusal
from domain.errors import refusal_reason
from domain.roles import Actor
from security.readable import unreadable_reason

NO_PAYLOAD = RawValue(Payload())
"""Default argument: the UI sends no payload at all when its Data box is empty."""


def read_decision(
    name: str, args: tuple[Any, ...], converter: PayloadConverter
) -> Decision | Refusal:
    """The decision ``name`` carried by the handler's arguments, or why it cannot be read.

    One argument arrives as a ``RawValue``; any other count arrives as whatever the SDK made
    of it (it applies no type hint then), and is refused by its count alone."""
    rule = DECISIONS[name]
    hint = f"send one JSON object, e.g. {rule.example_json}"
    if len(args) > 1:
        return Refusal(f"{len(args)} arguments arrived; {hint}", kind="malformed")
    payload = args[0].payload if args and isinstance(args[0], RawValue) else Payload()
    if not payload.data and not payload.metadata:
        return Refusal(f"the payload is empty; {hint}", kind="empty")
    unreadable = unreadable_reason(payload)
    if unreadable is not None:
        return Refusal(f"{unreadable}; {hint}", kind="malformed")
    try:
        value: Any = converter.from_payload(payload)
    except Exception as exc:  # any decoding problem is the sender's, never the case's
        return Refusal(
            f"the payload is not valid JSON ({type(exc).__name__}); {hint}", kind="malformed"
        )
    if value is None:
        return Refusal(f"the payload is empty (null); {hint}", kind="empty")
    if not isinstance(value, dict):
        return Refusal(
            f"the payload must be one JSON object, not {_json_kind(value)}; {hint}",
            kind="malformed",
        )
    return decision_from_object(name, value)


def decision_from_object(name: str, value: dict[str, Any]) -> Decision | Refusal:
    """The decision ``name`` from its JSON object, or which fields are wrong."""
    rule = DECISIONS[name]
    actor = _readable_actor(value.get("actor"))
    try:
        return rule.model.model_validate(value)
    except ValidationError as exc:
        return Refusal(refusal_reason(exc, frozenset(rule.model.model_fields)), actor)


def _readable_actor(value: object) -> Actor | None:
    try:
        return Actor.model_validate(value)
    except ValidationError:
        return None


def _json_kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
