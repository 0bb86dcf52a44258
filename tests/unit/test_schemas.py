"""The published JSON Schemas judge a payload as the engine does, wherever a schema can.

An integrator in another language validates against ``docs/schemas/`` before sending; a payload
the schema passes but the engine refuses (or the reverse) on a rule of structure, type, enum,
length or presence would mislead them. What only the engine checks (A-number, telephone and
e-mail syntax) is named in docs/contract.md.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from domain.decisions import DECISIONS
from domain.inquiry import Submission
from tests.support import represented, sro_submission, submission

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def accepts(model: type[BaseModel], data: object, signer: dict[str, str] | None = None) -> bool:
    """As the engine judges ``data``; with ``signer``, as a signed case does (a missing
    ``actor`` is the signer)."""
    if signer is not None and isinstance(data, dict) and "actor" not in data:
        data = {**data, "actor": signer}
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def agree(
    schema: Draft202012Validator,
    model: type[BaseModel],
    data: object,
    signer: dict[str, str] | None = None,
) -> None:
    verdict = accepts(model, data, signer)
    assert schema.is_valid(data) == verdict, f"schema says {not verdict}, model {verdict}: {data}"


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize("name", list(DECISIONS))
def test_a_decision_schema_judges_as_its_model(name: str) -> None:
    rule = DECISIONS[name]
    schema = validator(f"decisions/{name}.json")
    example = rule.example
    assert schema.is_valid(example) and accepts(rule.model, example)
    sent = rule.sent_example
    published = json.loads((SCHEMAS / f"decisions/{name}.json").read_text(encoding="utf-8"))
    assert "actor" not in sent and "actor" not in json.dumps(published["examples"])
    assert schema.is_valid(sent), "a signed sender leaves actor out"
    assert "actor" not in published.get("required", [])
    for data in (
        sent,
        without(example, "actor"),
        {**example, "unexpected": 1},
        {**example, "actor": {"id": "someone", "role": "JANITOR"}},
        {**example, "actor": {"id": "has space", "role": "SRO"}},
        {**example, "decision_id": ""},
        {**example, "decision_id": None},
        {"actor": example["actor"]},
        [example],
        None,
    ):
        agree(schema, rule.model, data, example["actor"])


def test_provide_information_needs_one_item_in_the_schema_too() -> None:
    rule = DECISIONS["provide_information"]
    schema = validator("decisions/provide_information.json")
    actor = rule.example["actor"]
    for data in (
        {},
        {"date_of_birth": "1990-01-31"},
        {"actor": actor},
        {"actor": actor, "phone": None},
        {"actor": actor, "date_of_birth": "1990-01-31"},
        {"actor": actor, "authorization": {"form": "G-28", "document_ref": "DOC-1"}},
        {"actor": actor, "authorization": {"form": "G-29", "document_ref": "DOC-1"}},
    ):
        agree(schema, rule.model, data, actor)


def test_the_submission_schema_judges_as_the_model() -> None:
    schema = validator("submission.json")
    examples = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples").glob("*.json"))
    ]
    representative_alone = submission(requestor={"kind": "REPRESENTATIVE", "name": "Dana"})
    cases = [
        *examples,
        submission(),
        sro_submission(),
        represented(),
        represented(form=None),
        representative_alone,
        submission(entry="SRO_INQUIRY"),
        sro_submission(local_response=None),
        submission(representative=None),
        submission(field_office="GOTHAM"),
        submission(grounds=""),
        submission(grounds="x" * 10_001),
        submission(detained="maybe"),  # ("yes" passes the model's lax bool: the schema is stricter)
        submission(extra=1),
        without(submission(), "subject"),
        submission(request_id="has space"),
    ]
    for data in cases:
        agree(schema, Submission, data)
    assert sum(accepts(Submission, data) for data in cases) >= 5  # both ways are exercised
