"""Reading a decision from whatever arrived: one path for signals and updates alike.

Signals take a ``RawValue`` so that no payload, however broken, can fail the workflow task
inside the SDK's own decoding; every problem comes back here as a reason in words.
"""

from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from domain.decisions import DECISIONS, Decision, Refusal
from domain.errors import describe
from domain.roles import Actor

NO_PAYLOAD = RawValue(Payload())
"""Default argument: the UI sends no payload at all when its Data box is empty."""


def read_decision(name: str, raw: RawValue, converter: PayloadConverter) -> Decision | Refusal:
    """The decision ``name`` carried by ``raw``, or why it cannot be read."""
    rule = DECISIONS[name]
    hint = f"send one JSON object, e.g. {rule.example_json}"
    payload = raw.payload
    if not payload.data and not payload.metadata:
        return Refusal(f"the payload is empty; {hint}", kind="empty")
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
    actor = _readable_actor(value.get("actor"))
    try:
        return rule.model.model_validate(value)
    except ValidationError as exc:
        return Refusal("invalid fields: " + "; ".join(describe(exc)), actor)


def _readable_actor(value: object) -> Actor | None:
    try:
        return Actor.model_validate(value)
    except ValidationError:
        return None


def _json_kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
