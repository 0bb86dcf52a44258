"""docs/contract.md and docs/schemas/ say what the code does: a drift in either fails here.

The decision table and the schemas are generated (``make schemas``) and compared whole; the
other lists of the document are written by hand and compared with the code's own tables.
"""

import re
import types
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, SecretStr
from temporalio import workflow

import cli_exits
from domain.decisions import DECISIONS
from domain.notices import NOTICES
from domain.roles import Role
from domain.stage import ENTRY_STAGE, OPEN_STAGES, ClosureReason, Entry, Finding, Stage
from domain.starting import INVALID_SUBMISSION
from domain.status import CaseStatus
from domain.tasks import TaskKind
from settings import Settings
from tools import contract_table, schemas
from workflows import search_attributes as search
from workflows.case_review import CaseReviewWorkflow
from workflows.refusals import REFUSAL_ERROR_TYPE

ROOT = Path(__file__).resolve().parents[2]
LINES = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8").splitlines()
TEXT = "\n".join(LINES)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def table(anchor: str) -> dict[str, list[str]]:
    """The first table after the line ``anchor``, its rows by the first name in backticks."""
    rows: dict[str, list[str]] = {}
    for line in LINES[LINES.index(anchor) + 1 :]:
        if line.startswith("#") or (rows and not line.startswith("|")):
            break
        name = re.match(r"\|\s*`([^`]+)`", line)
        if name:
            assert name.group(1) not in rows, f"{name.group(1)} twice after {anchor!r}"
            rows[name.group(1)] = _cells(line)
    assert rows, f"no table after {anchor!r}"
    return rows


def paragraph(start: str) -> str:
    """The paragraph whose first line starts with ``start``."""
    return TEXT.split("\n" + start, 1)[1].split("\n\n", 1)[0]


def ticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def values(enum: Any) -> set[str]:
    return {member.value for member in enum}


def test_committed_schemas_and_decision_table_match_the_models() -> None:
    assert schemas.drift() == [], "run `make schemas` and commit the result"


def test_the_decision_table_lists_each_decision_with_its_roles_and_stages() -> None:
    rows = table(contract_table.BEGIN)
    assert list(rows) == list(DECISIONS)
    for name, (_, roles, stages, *_rest) in rows.items():
        rule = DECISIONS[name]
        assert (values(Role) if roles == "any staff role" else ticked(roles)) == rule.roles
        expanded = {"any stage": values(Stage), "any open stage": set(OPEN_STAGES)}
        assert expanded.get(stages, ticked(stages)) == rule.stages, name


def test_the_decision_fields_are_the_models_fields() -> None:
    for name, row in table(contract_table.BEGIN).items():
        model = DECISIONS[name].model
        own = set(model.model_fields) - {"actor", "decision_id", "case_id"}
        cell = re.sub(r"\([^)]*\)", "", row[3])  # without the choices of enum fields
        assert ticked(cell) == own, name
        optional = {f for f in own if not model.model_fields[f].is_required()}
        if cell.startswith("at least one of"):
            assert optional == own, name
        else:
            assert {f for f in own if f"optional `{f}`" in cell} == optional, name


def test_stages_entries_endings_roles_and_findings_are_the_codes() -> None:
    assert set(table("### Stages")) == values(Stage)
    assert set(table("### Endings")) == values(ClosureReason)
    assert set(table("### Roles")) == values(Role)
    entries = table("### Entries")
    assert {entry: row[1].strip("`") for entry, row in entries.items()} == {
        entry.value: stage.value for entry, stage in ENTRY_STAGE.items()
    }
    assert set(entries) == values(Entry)
    assert ticked(paragraph("Findings (")) == values(Finding)
    assert ticked(paragraph("Task kinds (")) - {"open_tasks[].kind"} == values(TaskKind)


def _item_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _nullable(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) and type(None) in get_args(annotation)


def test_the_status_fields_are_the_status_model() -> None:
    rows = table("### Status fields")
    assert list(rows) == list(CaseStatus.model_fields)
    for name, info in CaseStatus.model_fields.items():
        _, kind, meaning = rows[name]
        assert ("null" in kind) == _nullable(info.annotation), name
        item = _item_model(info.annotation)
        if item is not None:
            assert kind == "list", name
            missing = set(item.model_fields) - ticked(meaning)
            assert not missing, f"{name}: {sorted(missing)} not described"


def test_the_search_attributes_are_the_registered_ones() -> None:
    rows = table("### Search attributes")
    assert {name: row[1] for name, row in rows.items()} == search.REGISTRATION
    published = {key.name for key in search.PUBLISHED}
    assert {name for name, row in rows.items() if "kept current" in row[2]} == published


def test_the_notices_are_the_notice_table() -> None:
    rows = table("## Notices (e-mail, real SMTP)")
    assert {kind: (row[3], row[4]) for kind, row in rows.items()} == {
        kind.value: (f"`{rule.activity}`", f"`{rule.audience.value}`")
        for kind, rule in NOTICES.items()
    }


def _shown(default: object) -> str:
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None or default == "":
        return "\N{EN DASH}"  # the document's "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return f"`{default}`"


def test_every_setting_is_listed_with_its_default() -> None:
    rows = table("## Settings (environment)")
    expected = {}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert alias is not None
        (variable,) = alias.choices  # type: ignore[union-attr]
        expected[variable] = _shown(field.default)
    listed = {name: row[1].strip("`") for name, row in rows.items()}
    assert listed == {name: shown.strip("`") for name, shown in expected.items()}


def test_the_local_stack_ports_are_the_ones_make_run_reads() -> None:
    source = (ROOT / "tools" / "devstack.py").read_text(encoding="utf-8")
    read = dict(re.findall(r'os\.environ\.get\("([A-Z_]+_PORT)", "(\d+)"\)', source))
    rows = table("`make run` also reads the ports of its local stack:")
    assert {name: row[1].strip("`") for name, row in rows.items()} == read


def test_the_exit_codes_are_the_starters() -> None:
    rows = table("## `starter.py` exit codes")
    codes = {name: code for name, code in vars(cli_exits).items() if name.startswith("EXIT_")}
    assert set(rows) == {str(code) for code in codes.values()}
    assert "invalid input" in rows[str(cli_exits.EXIT_INVALID)][1]
    assert "refused the decision" in rows[str(cli_exits.EXIT_REFUSED)][1]
    assert "partly applied" in rows[str(cli_exits.EXIT_PARTLY_APPLIED)][1]
    assert "cannot be reached" in rows[str(cli_exits.EXIT_UNREACHABLE)][1]


def test_the_workflow_its_query_and_failure_types_are_named() -> None:
    definition = workflow._Definition.must_from_class(CaseReviewWorkflow)
    assert f"`{definition.name}`" in TEXT
    # One signal and one update per decision; the signal without a name takes any other name.
    assert set(definition.signals) - {None} == set(definition.updates) == set(DECISIONS)
    assert None in definition.signals and "no decision has" in TEXT
    for query in definition.queries:
        assert f"query `{query}`" in TEXT
    assert f"`{Settings.model_fields['task_queue'].default}`" in TEXT
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "workflows").glob("*.py"))
    failure_types = {
        REFUSAL_ERROR_TYPE,
        INVALID_SUBMISSION,
        *re.findall(r'type="([A-Za-z]+)"', source),
    }
    assert failure_types == {"DecisionRejected", "InvalidSubmission", "NotScheduled"}
    for failure_type in failure_types:
        assert f"`{failure_type}`" in TEXT


def test_the_additions_being_built_are_kept() -> None:
    """Nothing of the shared contract is dropped while its additions are built."""
    additions = TEXT.split("## Additions of 2026-11-28 (being built)")[1]
    for term in (
        "ICR_STAFF_TOKEN",
        "ICR_INBOUND_SMTP_PORT",
        "ICR_INQUIRY_MAILBOX",
        "docs/inquiry-email.md",
        "status.documents",
        "ICR_DATABASE_URL",
        "GET /documents/{case_id}/{document_id}",
    ):
        assert term in additions
