"""What `make bench` writes: bench/results.json and bench/RESULTS.md.

A run of some parts only (``BENCH_ONLY``) keeps the other parts' figures and sections from the
run before; ``measured`` in results.json says when each part was last measured."""

import json
import subprocess
from datetime import datetime
from typing import Any

from bench import sqlite_settings
from bench.stack import ROOT

PARTS = ("lifecycles", "latency", "open", "burst")
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "bench" / "RESULTS.md"
TARGETS = {
    "lifecycle_ratio": (">=", 0.85),
    "worker_cpu_ratio": ("<=", 1.3),
    "events_ratio": ("<=", 1.2),
    "update_p99_ratio": ("<=", 1.5),
    "worker_rss_mb": ("<", 250.0),
    "list_ms": ("<", 500.0),
}


def met(name: str, value: float) -> bool:
    op, target = TARGETS[name]
    return {">=": value >= target, "<=": value <= target, "<": value < target}[op]


def mark(name: str, value: float) -> str:
    op, target = TARGETS[name]
    sign = op.replace(">=", "≥").replace("<=", "≤")
    return f"(target {sign} {target:g}{'' if met(name, value) else ', MISSED'})"


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    return done.stdout.decode().strip()


def earlier_sections() -> dict[str, list[str]]:
    """RESULTS.md's sections by number ("1" for "## 1. ..."), as the last run left them."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in REPORT.read_text().splitlines() if REPORT.exists() else []:
        if line.startswith("## "):
            current = sections.setdefault(line[3:].split(".", 1)[0], [])
        if current is not None:
            current.append(line)
    return sections


def write(
    now: datetime,
    fields: dict[str, dict[str, Any]],
    sections: dict[str, list[str]],
) -> dict[str, Any]:
    """``fields``: per part measured now, its results.json entries; ``sections``: RESULTS.md's
    sections written now, by number."""
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stamp = f"{now:%Y-%m-%dT%H:%M}Z"
    measured = results.get("measured") or {
        part: results["measured_at"] for part in PARTS[:3] if "measured_at" in results
    }
    for part, entries in fields.items():
        results.update(entries)
        measured[part] = stamp
    results.update(measured_at=stamp, commit=commit(), measured=measured)
    results["targets"] = {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()}
    results["met"] = {k: met(k, float(results[k])) for k in TARGETS if k in results}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    merged = {**earlier_sections(), **sections}
    partial = set(fields) != set(PARTS)
    note = (
        [
            f"This run measured {', '.join(sorted(fields))} (`BENCH_ONLY`); the other sections "
            "are from earlier runs, each part's time under `measured` in `results.json`.",
            "",
        ]
        if partial
        else []
    )
    body = [line for key in sorted(merged) for line in merged[key]]
    REPORT.write_text("\n".join([*sqlite_settings.header(now), *note, *body]) + "\n")
    print(json.dumps(results, indent=2))
    print("wrote bench/RESULTS.md and bench/results.json")
    return results
