"""The package's code stays honest: ruff (lint and format) and mypy over eventsim/, clean.

These run the tools the test extra installs; a finding fails the suite with the tool's own report.
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", [("ruff", "check", "eventsim"), ("ruff", "format", "--check", "eventsim")],
                         ids=["ruff check", "ruff format"])
def test_ruff_finds_nothing(command):
    done = run(*command)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing():
    done = run("mypy", "eventsim")
    assert done.returncode == 0, done.stdout + done.stderr
