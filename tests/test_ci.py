"""CI runs exactly the README's test command, so what a contributor runs is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_test_command() -> str:
    """The command of the README's bash block that installs the dev extra (the test command)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```bash\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    commands = [line.strip() for b in blocks for line in b.splitlines() if '".[dev]"' in line]
    assert len(commands) == 1, f"the README should give one test command; found {commands}"
    return commands[0]


def test_ci_runs_exactly_the_readme_test_command():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    cmd = readme_test_command()
    assert cmd in ci, f".ci/run does not run the README's command {cmd!r}"
    for step in ("ruff check .", "ruff format --check .", "python -m pytest"):
        assert step in cmd, f"the test command lacks {step!r}"


def test_ci_stops_at_the_first_failing_step():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci  # any non-zero exit (pytest's 5: no tests ran) fails CI
