"""The exit codes of ``flask tally run`` and ``flask tally verify``: 0 done (verify: the same),
1 verify found a difference, 2 bad input, reported as ``FILE:LINE: reason`` on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pb_app import create_app
from tests.tally.real_elections import TESTVECTORS

EXAMPLE1 = TESTVECTORS / "equalshares_net_example1.pb"
PROJECT_ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def runner():
    """A CLI runner on an app without a database (the tally needs none)."""
    return create_app({"ENV_NAME": "testing"}).test_cli_runner()


def _invoke(runner, *args: object):
    result = runner.invoke(args=["tally", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _damaged(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of example 1 with ``old`` replaced by ``new`` (the shared file is never edited)."""
    text = EXAMPLE1.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "damaged.pb"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture
def recorded(runner, tmp_path: Path) -> Path:
    """Example 1's greedy result, saved as ``run --json`` prints it."""
    result = _invoke(runner, "run", EXAMPLE1, "--rule", "greedy", "--json")
    path = tmp_path / "result.json"
    path.write_text(result.output, encoding="utf-8")
    return path


def test_run_exits_0_and_verify_exits_0_on_the_same_result(runner, recorded: Path):
    assert _invoke(runner, "run", EXAMPLE1, "--rule", "greedy").exit_code == 0
    assert _invoke(runner, "verify", EXAMPLE1, recorded).exit_code == 0


def test_verify_exits_1_on_other_ballots(runner, recorded: Path, tmp_path: Path):
    other = _damaged(tmp_path, "11;bike", "11;gym")
    result = _invoke(runner, "verify", other, recorded)
    assert result.exit_code == 1
    assert "DIFFERENT" in result.output


BAD_FILES = [
    ("budget;1100", "budget;1e400", 9, "budget '1e400' is not a number"),
    ("budget;1100", "budget;" + "9" * 25, 9, f"budget '{'9' * 25}' is larger than the tally"),
    ("num_votes;11", "num_votes;12", 8, "META num_votes is 12 but the file lists 11 votes"),
    ("11;bike", "1;bike", 31, "voter id '1' appears twice, on lines 21 and 31"),
    ("bike;700", "bike;٧٠٠", 14, "cost '٧٠٠' is not a number"),
]


@pytest.mark.parametrize("command", ["run", "verify"])
@pytest.mark.parametrize(("old", "new", "line", "reason"), BAD_FILES,
                         ids=[bad[3][:30] for bad in BAD_FILES])
def test_a_bad_file_exits_2_with_file_line_and_reason(runner, recorded: Path, tmp_path: Path,
                                                      command, old, new, line, reason):
    damaged = _damaged(tmp_path, old, new)
    args = ["--rule", "greedy"] if command == "run" else [recorded]
    result = _invoke(runner, command, damaged, *args)
    assert result.exit_code == 2
    assert f"{damaged}:{line}: {reason}" in result.stderr


def test_a_badly_quoted_name_is_a_warning_and_the_count_goes_on(runner, recorded, tmp_path):
    damaged = _damaged(tmp_path, "library;100;library", 'library;100;"library"')
    result = _invoke(runner, "verify", damaged, recorded)
    assert result.exit_code == 0
    assert (f"{damaged}:18: warning: the name cell is badly quoted; read as 'library for kids'"
            in result.stderr)


def _flask(*args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "PB_ENV": "testing", "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "tally", *map(str, args)]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_real_command_exits_2_on_a_bad_file_without_a_traceback(tmp_path: Path):
    damaged = _damaged(tmp_path, "budget;1100", "budget;" + "1" * 400)
    completed = _flask("run", damaged, "--rule", "mes")
    assert completed.returncode == 2
    assert (f"{damaged}:9: budget '{'1' * 400}' is larger than the tally accepts"
            in completed.stderr)
    assert "Traceback" not in completed.stderr + completed.stdout
