"""The decision table of ``docs/contract.md``, rendered from ``domain.decisions.DECISIONS``.

The roles, stages and fields of a decision are stated once, in the table the workflow's
handlers are built from; the document shows that table and is refreshed by ``make schemas``.
"""

from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from domain.decisions import DECISIONS, Decision, DecisionRule
from domain.roles import Role
from domain.stage import OPEN_STAGES, Stage

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "contract.md"
BEGIN = "<!-- generated from domain.decisions.DECISIONS by `make schemas`; edit it there -->"
END = "<!-- end of the generated decision table -->"

_COMMON = set(Decision.model_fields)
"""``actor`` and ``decision_id``: every decision has them, the text says so once."""


def _choices(annotation: Any) -> list[str]:
    """The values of an enum field (also inside ``X | None``)."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, StrEnum):
            return [member.value for member in candidate]
    return []


def _needs_one(model: type[BaseModel]) -> bool:
    """True when a decision with only its actor is refused: some optional field is required."""
    try:
        model.model_validate({"actor": {"id": "x", "role": Role.SRO.value}})
    except ValidationError:
        return True
    return False


def fields(model: type[Decision]) -> str:
    names = [name for name in model.model_fields if name not in _COMMON]
    parts = []
    for name in names:
        info = model.model_fields[name]
        text = f"`{name}`"
        if choices := _choices(info.annotation):
            text += " (" + " or ".join(f"`{c}`" for c in choices) + ")"
        parts.append(text if info.is_required() else f"optional {text}")
    if names and not any(model.model_fields[n].is_required() for n in names) and _needs_one(model):
        return "at least one of " + ", ".join(p.removeprefix("optional ") for p in parts)
    return ", ".join(parts) or "none"


def roles(rule: DecisionRule) -> str:
    if rule.roles == frozenset(Role):
        return "any staff role"
    return ", ".join(f"`{role}`" for role in Role if role in rule.roles)


def stages(rule: DecisionRule) -> str:
    if rule.stages == frozenset(Stage):
        return "any stage"
    if rule.stages == OPEN_STAGES:
        return "any open stage"
    return ", ".join(f"`{stage}`" for stage in Stage if stage in rule.stages)


def render() -> str:
    """The table, one row per decision in the table's order."""
    lines = [
        "| name | roles | stages | fields | what it does | schema |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in DECISIONS.values():
        cells = [
            f"`{rule.name}`",
            roles(rule),
            stages(rule),
            fields(rule.model),
            rule.purpose,
            f"[{rule.name}.json](schemas/decisions/{rule.name}.json)",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def refreshed(text: str) -> str:
    """``text`` with the part between the markers replaced by today's table."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{CONTRACT.name} lacks the markers of the decision table")
    return f"{head}{BEGIN}\n{render()}\n{END}{tail}"
