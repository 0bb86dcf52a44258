"""The house's rules: imports run one way, the domain is pure, and no module outgrows its room.

Every module of the product is parsed (ast, nothing is imported) and each import of one of ours
is an arrow, wherever it stands: in a function, under ``TYPE_CHECKING``, in a ``with`` block.
Applications stand on top, then the Temporal layer, then the primitives, then the settings, and
the pure domain at the ground; an arrow runs down or stays on its floor, never up, and no two
rooms (nor two files of ``domain/``) import each other, however long the way round.
"""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS: list[tuple[str, set[str]]] = [
    ("ground", {"domain", "logs"}),
    ("settings", {"settings"}),
    ("primitives", {"security", "store"}),
    (
        "temporal",
        {
            "workflows",
            "activities",
            "caseload",
            "clients",
            "intake",
            "cli_exits",
            "opening_verdict",
            "sandbox",
        },
    ),
    (
        "applications",
        {
            "worker",
            "worker_health",
            "starter",
            "codec_server",
            "mailroom",
            "records",
            "tools",
            "bench",
        },
    ),
]
"""Each top-level package or module of the product, by floor (a new one must be placed here)."""

ONLY: dict[str, set[str]] = {
    "domain": set(),  # pydantic and the standard library: nothing of ours but domain/ itself
    "settings": {"domain"},  # reads the environment; every process reads it first
}
"""Rooms that may import nothing of ours but their own files and these."""

NEVER: dict[str, set[str]] = {
    "security": {"store"},  # the store seals with security's keys, never the other way
    "workflows": {"activities", "caseload", "clients", "intake"},  # a deterministic shell
}
"""Arrows forbidden beyond the floors' rule, between rooms of one floor or below."""

NOT_PRODUCT = {"tests", "var", "node_modules", "docs", "deploy", "config", "examples"}

FLOOR = {unit: i for i, (_, units) in enumerate(LAYERS) for unit in units}


def _units() -> set[str]:
    """The product's top-level packages and modules."""
    names = {p.stem for p in ROOT.glob("*.py")}
    names |= {p.parent.name for p in ROOT.glob("*/__init__.py")}
    return {n for n in names if not n.startswith(".") and n not in NOT_PRODUCT}


def _files() -> Iterator[Path]:
    for unit in sorted(_units()):
        if (ROOT / unit).is_dir():
            yield from sorted((ROOT / unit).rglob("*.py"))
        else:
            yield ROOT / f"{unit}.py"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module this file names in an import (``from a import b`` names ``a`` and
    ``a.b``), with its line: at the top, in a function, under ``TYPE_CHECKING``, anywhere."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            yield from ((f"{base}.{alias.name}", node.lineno) for alias in node.names)


def _arrows() -> list[tuple[str, str, str]]:
    """(importing module, imported module of ours, where) for every import in the product."""
    units: set[str] = _units()
    found: list[tuple[str, str, str]] = []
    for path in _files():
        here = f"{path.relative_to(ROOT)}"
        for name, line in _imports(path):
            if name.split(".")[0] in units:
                found.append((_module(path), name, f"{here}:{line}"))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _ties(cycle: list[str], arrows: dict[tuple[str, str], list[str]]) -> list[str]:
    inside = [where for (a, b), where in arrows.items() if a in cycle and b in cycle]
    return sorted({w for where in inside for w in where})


def _unit_arrows() -> dict[tuple[str, str], list[str]]:
    ties: dict[tuple[str, str], list[str]] = {}
    for source, target, where in _arrows():
        a, b = source.split(".")[0], target.split(".")[0]
        if a != b:
            ties.setdefault((a, b), []).append(where)
    return {pair: sorted(set(where)) for pair, where in ties.items()}


def test_every_room_of_the_product_stands_on_a_floor() -> None:
    assert _units() - set(FLOOR) == set(), "place the new room in LAYERS (tests/unit/test_layers)"
    assert set(FLOOR) - _units() == set(), "a room in LAYERS is gone: take it out"


def test_no_cycle_between_top_level_packages_and_modules() -> None:
    ties = _unit_arrows()
    graph: dict[str, set[str]] = {}
    for a, b in ties:
        graph.setdefault(a, set()).add(b)
    assert {" <-> ".join(c): _ties(c, ties) for c in _cycles(graph)} == {}


def test_no_cycle_among_the_files_of_domain() -> None:
    modules = {_module(p) for p in (ROOT / "domain").rglob("*.py")} - {"domain"}
    ties: dict[tuple[str, str], list[str]] = {}
    for source, target, where in _arrows():
        if source in modules:
            # ``from domain import x`` names domain.x; ``from domain.x import Y`` names domain.x.Y
            hit = target if target in modules else target.rpartition(".")[0]
            if hit in modules and hit != source:
                ties.setdefault((source, hit), []).append(where)
    graph: dict[str, set[str]] = {}
    for a, b in ties:
        graph.setdefault(a, set()).add(b)
    assert {" <-> ".join(c): _ties(c, ties) for c in _cycles(graph)} == {}


def test_every_import_runs_down_or_stays_on_its_floor() -> None:
    up = {
        f"{a} ({LAYERS[FLOOR[a]][0]}) -> {b} ({LAYERS[FLOOR[b]][0]})": where
        for (a, b), where in sorted(_unit_arrows().items())
        if a in FLOOR and b in FLOOR and FLOOR[b] > FLOOR[a]
    }
    assert up == {}


def test_no_room_imports_what_it_must_never_touch() -> None:
    broken = {
        f"{a} -> {b}": where
        for (a, b), where in sorted(_unit_arrows().items())
        if (a in ONLY and b not in ONLY[a]) or b in NEVER.get(a, set())
    }
    assert broken == {}


def test_the_domain_imports_no_temporal() -> None:
    modules = sorted(_module(p) for p in (ROOT / "domain").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'temporalio')\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"domain pulls in {out.stdout.strip()}"


def test_no_module_of_the_product_is_over_350_lines() -> None:
    files = [p for p in _files() if p.relative_to(ROOT).parts[0] not in {"bench"}]
    long = {
        str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 350
    }
    assert long == {}
