"""``flask tally run`` and ``flask tally verify``: the stable command-line contract."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pb_app import create_app
from pb_app.tally import add1
from pb_app.tally import cli as tally_cli_module
from pb_app.tally.pabulib import fingerprint, read_pb
from tests.tally.real_elections import ELECTIONS, TESTVECTORS

EXAMPLE1 = TESTVECTORS / "equalshares_net_example1.pb"
TIE_DEMO = TESTVECTORS / "tie_demo.pb"
ASSEN_2024 = ELECTIONS / "Netherlands_Assen_2024.pb"
WIELICZKA = ELECTIONS / "Poland_Wieliczka_2023_Green_Budget.pb"
PROJECT_ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def cli_runner():
    """A CLI runner on an app without a database (the tally needs none)."""
    return create_app({"ENV_NAME": "testing"}).test_cli_runner()


def _invoke(cli_runner, *args: object):
    result = cli_runner.invoke(args=["tally", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _run_json(cli_runner, *args: object) -> dict:
    result = _invoke(cli_runner, "run", *args, "--json")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("}\n") and result.output.count("\n") == 1
    return json.loads(result.output)


def test_run_prints_winners_spend_and_explanation(cli_runner):
    result = _invoke(cli_runner, "run", EXAMPLE1, "--rule", "mes")
    assert result.exit_code == 0
    assert "Funded (3): bike, playground, library" in result.output
    assert "Budget: 1,100; spent 1,000; unspent 100" in result.output
    assert "gym not funded" in result.output


def test_run_json_lists_ids_as_strings_in_selection_order_and_money_as_integers(cli_runner):
    data = _run_json(cli_runner, EXAMPLE1, "--rule", "mes")
    assert data["selected"] == ["bike", "playground", "library"]
    assert data["spent"] == 1000 and data["budget"] == 1100 and data["unspent"] == 100
    assert data["input_fingerprint"] == fingerprint(read_pb(EXAMPLE1))
    assert data["rule"]["rule"] == "mes" and data["rule"]["completion"] is None


def test_numeric_ids_stay_strings(cli_runner):
    data = _run_json(cli_runner, ASSEN_2024, "--rule", "greedy")
    assert data["selected"] and all(isinstance(pid, str) for pid in data["selected"])


@pytest.mark.parametrize(
    ("options", "winner"),
    [
        (["--tie-criteria", "none", "--tie-break", "lexico"], "p10"),
        (["--tie-break", "lexico"], "p9"),
        (["--tie-criteria", "none", "--tie-break", "declared:p9,p10"], "p9"),
        (["--tie-criteria", "none", "--tie-break", "declared:p10,p9"], "p10"),
    ],
)
def test_tie_break_options_decide_a_real_tie(cli_runner, options, winner):
    data = _run_json(cli_runner, TIE_DEMO, "--rule", "greedy", *options)
    assert data["selected"] == [winner]
    assert data["ties"][0]["winner"] == winner


def test_a_lottery_needs_a_seed_and_is_recorded_with_it(cli_runner):
    refused = _invoke(cli_runner, "run", TIE_DEMO, "--rule", "greedy", "--tie-break", "lottery")
    assert refused.exit_code == 2 and "needs --seed" in refused.output
    data = _run_json(cli_runner, TIE_DEMO, "--rule", "greedy", "--tie-criteria", "none",
                     "--tie-break", "lottery", "--seed", "s3cret")
    assert data["rule"]["tie_break"] == {"criteria": [], "declared": [], "order": "lottery",
                                         "seed": "s3cret"}
    assert len(data["selected"]) == 1


@pytest.mark.parametrize(
    ("path", "options", "count", "spent"),
    [
        (WIELICZKA, ["--completion", "add1"], 30, 995_079),
        (WIELICZKA, ["--completion", "add1", "--exhaustive-stop"], 31, 984_579),
        (ASSEN_2024, ["--completion", "add1-greedy"], 10, 88_700),
    ],
)
def test_mes_completion_options_reach_the_rule(cli_runner, path, options, count, spent):
    data = _run_json(cli_runner, path, "--rule", "mes", *options)
    assert (len(data["selected"]), data["spent"]) == (count, spent)
    assert data["rule"]["completion"] == options[1]
    assert data["rule"]["exhaustive_stop"] == ("--exhaustive-stop" in options)


def test_threshold_and_increment_are_recorded(cli_runner):
    data = _run_json(cli_runner, ASSEN_2024, "--rule", "greedy-threshold", "--threshold", "50")
    assert data["rule"]["threshold"] == 50
    data = _run_json(cli_runner, EXAMPLE1, "--rule", "mes", "--completion", "add1",
                     "--increment", "5")
    assert data["rule"]["increment"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "/no/such/file.pb", "--rule", "greedy"], "no such file: /no/such/file.pb"),
        (["run", EXAMPLE1, "--rule", "plurality"], "Invalid value for '--rule'"),
        (["run", EXAMPLE1], "Missing option '--rule'"),
        (["run", EXAMPLE1, "--rule", "greedy", "--tie-break", "coin"], "unknown tie-break order"),
        (["run", EXAMPLE1, "--rule", "greedy", "--tie-criteria", "age"], "unknown tie criterion"),
        (["run", EXAMPLE1, "--rule", "greedy", "--completion", "add1"],
         "apply to the mes rule only"),
        (["run", ELECTIONS / "France_Toulouse_2019.pb", "--rule", "phragmen"],
         "approval ballots only"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_code_2(cli_runner, args, message):
    result = _invoke(cli_runner, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_malformed_file_is_reported_with_its_line(cli_runner, tmp_path: Path):
    broken = tmp_path / "broken.pb"
    broken.write_text(EXAMPLE1.read_text().replace("gym;400;", "gym;four hundred;"))
    result = _invoke(cli_runner, "run", broken, "--rule", "greedy")
    assert result.exit_code == 2
    assert f"{broken}:15: cost 'four hundred' is not a number" in result.output


@pytest.fixture
def recorded(cli_runner, tmp_path: Path) -> Path:
    """A result of MES with add1 on example 1, saved as ``run --json`` prints it."""
    result = _invoke(cli_runner, "run", EXAMPLE1, "--rule", "mes", "--completion", "add1",
                     "--json")
    path = tmp_path / "result.json"
    path.write_text(result.output, encoding="utf-8")
    return path


def test_verify_accepts_an_untouched_result(cli_runner, recorded: Path):
    result = _invoke(cli_runner, "verify", EXAMPLE1, recorded)
    assert result.exit_code == 0
    assert "matches a recount" in result.output


def test_a_result_verifies_however_the_add1_search_gets_there(cli_runner, tmp_path: Path,
                                                              monkeypatch):
    """The recorded result says what the rule decided, not how the search got there: a
    search that jumps differently (no side-by-side batches, no jumps held) still verifies a
    result recorded by the usual one, on a real city where the search takes hundreds of
    runs."""
    path = ELECTIONS / "France_Toulouse_2024.pb"
    args = ("--rule", "mes", "--completion", "add1", "--tie-break", "lexico")
    result = tmp_path / "result.json"
    result.write_text(_invoke(cli_runner, "run", path, *args, "--json").output,
                      encoding="utf-8")
    monkeypatch.setattr(add1, "LAST_BATCH", 1)
    monkeypatch.setattr(add1, "HOLD", 1)
    assert _invoke(cli_runner, "verify", path, result).exit_code == 0


def test_verify_names_the_first_step_that_differs(cli_runner, recorded: Path):
    data = json.loads(recorded.read_text())
    data["steps"][3]["text"] = "a doctored step"
    data["selected"] = data["selected"][:-1]
    recorded.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")))
    result = _invoke(cli_runner, "verify", EXAMPLE1, recorded)
    assert result.exit_code == 1
    assert "step 4 is the first that differs" in result.output
    assert "recorded: a doctored step" in result.output
    assert "selected: recorded" in result.output


def test_verify_notices_other_ballots(cli_runner, recorded: Path, tmp_path: Path):
    other = tmp_path / "other.pb"
    lines = EXAMPLE1.read_text(encoding="utf-8").splitlines(keepends=True)
    other.write_text("".join(lines[:-1]) + "11;gym\n", encoding="utf-8")
    result = _invoke(cli_runner, "verify", other, recorded)
    assert result.exit_code == 1
    assert f"input SHA-256: recorded {fingerprint(read_pb(EXAMPLE1))}" in result.output


def test_verify_refuses_a_reformatted_result(cli_runner, recorded: Path):
    recorded.write_text(json.dumps(json.loads(recorded.read_text()), indent=2))
    result = _invoke(cli_runner, "verify", EXAMPLE1, recorded)
    assert result.exit_code == 1
    assert "not the canonical JSON bytes" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "is not JSON"), ("[1, 2]", "is not a tally result"),
     ('{"selected": []}', "no usable rule"),
     ('{"rule": {"rule": "lottery-of-life"}}', "unknown rule")],
)
def test_verify_bad_result_files_exit_2(cli_runner, tmp_path: Path, content: str, message: str):
    path = tmp_path / "result.json"
    path.write_text(content)
    result = _invoke(cli_runner, "verify", EXAMPLE1, path)
    assert result.exit_code == 2
    assert message in result.output


def test_the_real_flask_command_runs_in_a_subprocess():
    env = {**os.environ, "PB_ENV": "testing", "PYTHONPATH": str(PROJECT_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "tally", "run", str(EXAMPLE1),
         "--rule", "mes", "--json"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["selected"] == ["bike", "playground", "library"]


def test_the_command_module_stays_free_of_flask():
    tree = ast.parse(Path(tally_cli_module.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "json", "pathlib", "typing", "warnings", "click", "pb_app"}


def test_the_prefilter_option_reproduces_swiecie_and_its_result_verifies(cli_runner, tmp_path):
    swiecie = ELECTIONS / "Poland_Swiecie_2023.pb"
    result = _invoke(cli_runner, "run", swiecie, "--rule", "mes", "--completion", "add1",
                     "--comparison", "--min-share-divisor", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (len(data["selected"]), data["spent"]) == (17, 1_040_337)
    assert data["rule"]["min_share_divisor"] == 3
    recorded = tmp_path / "result.json"
    recorded.write_text(result.output, encoding="utf-8")
    assert _invoke(cli_runner, "verify", swiecie, recorded).exit_code == 0
    refused = _invoke(cli_runner, "run", swiecie, "--rule", "mes", "--min-share-divisor", "-3")
    assert refused.exit_code == 2 and "--min-share-divisor" in refused.output
