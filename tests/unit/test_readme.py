"""The README a newcomer opens first: every link leads somewhere in the repository, and the
layout table is the tree."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [
    README,
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "deploy/README.md",
    ROOT / "bench/README.md",
]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub's rule)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {_slug(line.lstrip("#")) for line in lines if line.startswith("#")}


def test_every_relative_link_resolves_inside_the_repository() -> None:
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not ours to check
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path).resolve() if path else doc
            where = f"{doc.relative_to(ROOT)} -> {target}"
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(where)
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(where + " (no such heading)")
    assert broken == []


def _layout() -> dict[str, str]:
    """The layout table: each path named in a row's first cell, with the row's second cell."""
    text = README.read_text(encoding="utf-8").split("\n## Layout\n", 1)[1]
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            break
        if not line.startswith("| `"):
            continue
        first, holds = (c.strip() for c in line.strip().strip("|").split("|")[:2])
        for path in re.findall(r"`([^`]+)`", first):
            rows[path] = holds
    return rows


def _tracked_top_level() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    names = set()
    for name in files:
        head, slash, _ = name.partition("/")
        if head.startswith("."):
            continue
        if slash:
            names.add(head + "/")
        elif head.endswith(".py"):
            names.add(head)
    return names


def test_the_layout_table_lists_every_top_level_folder_and_module() -> None:
    rows = _layout()
    assert _tracked_top_level() - set(rows) == set(), "add a row to README's layout table"
    assert [p for p in rows if not (ROOT / p).exists()] == []


def test_the_modules_named_in_the_layout_exist() -> None:
    """A package's row names its modules; a module that moved or went away fails here."""
    stale = []
    for path, holds in _layout().items():
        package = ROOT / path
        if not path.endswith("/") or not (package / "__init__.py").is_file():
            continue
        for name in re.findall(r"`([a-z_]+)`", holds):
            if not ((package / f"{name}.py").is_file() or (package / name).is_dir()):
                stale.append(f"{path}{name}")
    assert stale == []
