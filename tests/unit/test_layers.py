"""The house's rules: the domain is pure, and no module of the product grows past its room."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["domain", "workflows", "activities", "security", "caseload", "tools", "records"]
TOP_LEVEL = ["worker.py", "starter.py", "intake.py", "clients.py", "settings.py", "logs.py"]


def test_the_domain_imports_no_temporal() -> None:
    modules = sorted(p.stem for p in (ROOT / "domain").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('domain.' + m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'temporalio')\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"domain pulls in {out.stdout.strip()}"


def test_no_module_of_the_product_is_over_350_lines() -> None:
    files = [p for d in PRODUCT for p in (ROOT / d).rglob("*.py")]
    files += [ROOT / f for f in TOP_LEVEL]
    long = {
        str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 350
    }
    assert long == {}
