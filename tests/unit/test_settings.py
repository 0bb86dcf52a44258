"""Settings that protect personal data refuse to run in production on development values."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from caseload.queries import subject_filter
from domain.identity import subject_key
from settings import DEV_SUBJECT_KEY_SECRET, Settings
from tests.unit.test_layers import ROOT

STRONG = "s" * 48


def test_production_refuses_the_development_subject_key_secret() -> None:
    for weak in (DEV_SUBJECT_KEY_SECRET, "short"):
        with pytest.raises(ValidationError, match="ICR_SUBJECT_KEY_SECRET must be set"):
            Settings(ICR_ENVIRONMENT="production", ICR_SUBJECT_KEY_SECRET=weak)
    assert Settings(ICR_ENVIRONMENT="production", ICR_SUBJECT_KEY_SECRET=STRONG)
    assert Settings().environment == "development"  # development keeps its default


def test_a_worker_started_so_says_one_line_and_exits() -> None:
    env = {"ICR_ENVIRONMENT": "production", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "worker.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("invalid settings:")
    assert "ICR_SUBJECT_KEY_SECRET must be set" in out.stderr


def test_find_searches_under_the_current_and_the_previous_secrets() -> None:
    found = subject_filter("A-012-345-678", STRONG, ("old-secret",))
    assert found.subject_keys == (
        subject_key("A012345678", STRONG),
        subject_key("A012345678", "old-secret"),
    )
    assert "SubjectKey IN (" in found.query()
