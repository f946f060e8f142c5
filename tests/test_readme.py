"""The README's promises that a machine can check: its two commands exist and CI runs the same one."""
from __future__ import annotations

import re
from pathlib import Path

from app.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _shell_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S)]


def test_the_two_commands_are_the_scripts_and_they_are_executable():
    assert _shell_blocks()[:2] == ["./scripts/demo", "./scripts/test"]
    for script in ("demo", "test", "setup"):
        path = ROOT / "scripts" / script
        assert path.is_file() and path.stat().st_mode & 0o111, path


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./scripts/test\s*$", ci, flags=re.M)
    assert "CI=" in ci and "pg_ctlcluster" in ci


def test_every_documented_subcommand_exists():
    documented = set(re.findall(r"`ledgerbridge ([\w-]+)", README))
    assert documented and documented <= set(COMMANDS)
    assert set(COMMANDS) <= documented
