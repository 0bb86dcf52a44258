"""JSON Schemas of the public interface, generated from the models so they cannot drift.

Integrators in other languages validate against ``docs/schemas/``; the models stay the one
source. ``python -m tools.schemas`` (``make schemas``) rewrites the schemas and the decision
table of ``docs/contract.md``; ``--check`` only compares and exits 1 on any difference, as the
unit test does.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from domain.decisions import DECISIONS
from domain.inquiry import Submission
from tools import contract_table

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: type[BaseModel], description: str, examples: list[Any]) -> dict[str, Any]:
    body = model.model_json_schema()
    head = {"$schema": DIALECT, "title": body.pop("title"), "description": description}
    return {**head, **body, **({"examples": examples} if examples else {})}


def schemas() -> dict[str, dict[str, Any]]:
    """Each schema by its path under ``docs/schemas/``."""
    table = {
        "submission.json": _schema(
            Submission,
            "The start input of a case (CaseReviewWorkflow, task queue case-review), as "
            "`starter.py submit` and `intake.submit` take it. See docs/contract.md.",
            [],
        )
    }
    for rule in DECISIONS.values():
        schema = _schema(rule.model, rule.description, [rule.sent_example])
        table[f"decisions/{rule.name}.json"] = _signed(schema)
    return table


def _signed(schema: dict[str, Any]) -> dict[str, Any]:
    """A decision as sent for a signed case: ``actor`` is the signer, so it may be left out."""
    schema["required"] = [name for name in schema.get("required", []) if name != "actor"]
    if not schema["required"]:
        del schema["required"]
    schema["properties"]["actor"] = {
        **schema["properties"]["actor"],
        "description": SIGNER,
    }
    return schema


SIGNER = (
    "The signer, taken from the stamp: may be left out (the role is inferred when the signer "
    "holds exactly one role the decision allows); if given it must name the signer. Cases "
    "started before signed decisions require it."
)


def rendered() -> dict[Path, str]:
    """Every generated file with the text it must hold."""
    files = {
        SCHEMAS / name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in schemas().items()
    }
    contract = contract_table.CONTRACT
    files[contract] = contract_table.refreshed(contract.read_text(encoding="utf-8"))
    return files


def drift() -> list[str]:
    """What differs between the committed files and the code, one line each (empty: none)."""
    wanted = rendered()
    problems = [
        f"{path.relative_to(ROOT)}: out of date"
        if path.is_file()
        else f"{path.relative_to(ROOT)}: missing"
        for path, text in wanted.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    problems += [
        f"{path.relative_to(ROOT)}: no model behind it"
        for path in sorted(SCHEMAS.rglob("*.json"))
        if path not in wanted
    ]
    return problems


def write() -> list[Path]:
    """Rewrite what changed, drop schemas without a model; returns the paths touched."""
    wanted = rendered()
    touched = []
    for path, text in wanted.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            touched.append(path)
    for path in sorted(SCHEMAS.rglob("*.json")):
        if path not in wanted:
            path.unlink()
            touched.append(path)
    return touched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("run `make schemas` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
