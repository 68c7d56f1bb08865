"""The GitHub Action (action.yml) and its example workflow keep their contract.

Read with PyYAML as GitHub reads them, plus the action's own script run with bash against a stand-in
``multiarch-bot`` that records what it was given: arguments, and where the token went.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import run_command
from bot.outcome import Gate

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "docs" / "examples" / "multiarch-bot.yml"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
INPUT_REFERENCE = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
SECRET = "ghp_not-a-real-token-0123456789"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def _steps() -> list[dict[str, Any]]:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    return list(action["runs"]["steps"])


def _run_step() -> dict[str, Any]:
    return next(step for step in _steps() if step.get("id") == "run")


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(on, dict)
    return on


def _bot_step(workflow: dict[str, Any]) -> dict[str, Any]:
    steps = workflow["jobs"]["run"]["steps"]
    return next(step for step in steps if str(step.get("uses", "")).split("@")[0].endswith("/multiarch-bot"))


# action.yml


def test_the_action_has_the_metadata_github_requires() -> None:
    action = _load(ACTION)
    assert action["name"]
    assert action["description"]
    assert set(action["inputs"]) >= {"config", "token", "dry-run", "only", "shard", "cache-dir"}
    assert action["inputs"]["config"]["default"] == "multiarch-bot.yaml"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), f"input {name} is undocumented"


def test_every_input_used_is_declared_and_every_declared_input_is_used() -> None:
    action = _load(ACTION)
    used = {
        name
        for expression in EXPRESSION.findall(ACTION.read_text())
        for name in INPUT_REFERENCE.findall(expression)
    }
    assert used == set(action["inputs"])


def test_inputs_reach_scripts_only_through_env() -> None:
    scripts = [step for step in _steps() if "run" in step]
    assert scripts
    for step in scripts:
        assert step.get("shell") == "bash", "a composite run step needs its shell"
        assert "${{" not in step["run"], f"{step.get('name')}: an expression inside a run: script"
        for name, value in step.get("env", {}).items():
            assert not name.startswith("INPUT_"), "composite actions get no INPUT_*: name it for the bot"
            assert str(value).strip().startswith("${{") or "${{" not in str(value)


def test_the_token_reaches_only_the_run_step_and_is_never_printed() -> None:
    carriers = [
        (step.get("name"), name)
        for step in _steps()
        for name, value in step.get("env", {}).items()
        if "inputs.token" in str(value)
    ]
    assert carriers == [("Run multiarch-bot", "MULTIARCH_BOT_ACTION_TOKEN")]
    assert all("inputs.token" not in str(step.get("with", {})) for step in _steps())
    script = _run_step()["run"]
    assert not re.search(r"set\s+-[a-z]*x|xtrace", script), "tracing would print the token"
    for line in script.splitlines():
        if re.search(r"\b(echo|printf|cat)\b", line):
            assert "TOKEN" not in line, line
            assert "token_env" not in line, line
    assert "::add-mask::" not in script  # the secret is masked by GitHub already; echoing it is not needed


def test_the_token_input_says_which_tokens_work() -> None:
    token = _load(ACTION)["inputs"]["token"]
    assert token["required"] is True
    for needed in ("public_repo", "workflow", "fine-grained", "GITHUB_TOKEN", "cannot fork"):
        assert needed in " ".join(token["description"].split())


# docs/examples/multiarch-bot.yml


def test_the_example_is_not_a_workflow_of_this_repository() -> None:
    assert EXAMPLE.is_file()
    assert not list((ROOT / ".github" / "workflows").glob("*multiarch-bot*"))


def test_the_example_runs_nightly_by_hand_and_on_request_issues() -> None:
    on = _triggers(_load(EXAMPLE))
    (cron,) = (entry["cron"] for entry in on["schedule"])
    assert len(cron.split()) == 5
    assert set(on["issues"]["types"]) == {"opened", "labeled"}
    dispatch = on["workflow_dispatch"]["inputs"]
    assert set(dispatch) == {"dry-run", "only"}
    assert set(dispatch["dry-run"]["options"]) == {"", *(gate.value for gate in Gate)}


def test_the_examples_with_keys_are_the_actions_inputs() -> None:
    inputs = _load(ACTION)["inputs"]
    given = _bot_step(_load(EXAMPLE))["with"]
    assert set(given) <= set(inputs)
    assert {name for name, spec in inputs.items() if spec.get("required")} <= set(given)
    assert given["token"] == "${{ secrets.MULTIARCH_BOT_TOKEN }}"
    assert given["shard"] == "${{ matrix.shard }}"
    assert given["dry-run"] == "${{ inputs.dry-run }}"
    assert given["only"] == "${{ inputs.only }}"


def test_the_shards_are_i_of_n_and_cover_1_to_n() -> None:
    shards = _load(EXAMPLE)["jobs"]["run"]["strategy"]["matrix"]["shard"]
    parsed = [re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", str(shard)) for shard in shards]
    assert all(parsed), shards
    counts = {int(found.group(2)) for found in parsed if found}
    assert len(counts) == 1
    (count,) = counts
    assert sorted(int(found.group(1)) for found in parsed if found) == list(range(1, count + 1))


def test_the_example_does_not_overlap_runs_and_asks_for_little() -> None:
    workflow = _load(EXAMPLE)
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["run"]["strategy"]["fail-fast"] is False


def test_the_example_caches_the_bots_cache_directory_per_shard() -> None:
    workflow = _load(EXAMPLE)
    steps = workflow["jobs"]["run"]["steps"]
    (cache,) = (step for step in steps if str(step.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == _bot_step(workflow)["with"]["cache-dir"]
    assert "matrix.shard" in cache["with"]["key"]
    assert "matrix.shard" in cache["with"]["restore-keys"]
    assert steps.index(cache) < steps.index(_bot_step(workflow))


# The script itself, run by bash


@pytest.fixture
def action_script(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The run step's script, a stand-in multiarch-bot on PATH, and the step's environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    record = tmp_path / "record.json"
    fake = bin_dir / "multiarch-bot"
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'env': dict(os.environ)}}, open({str(record)!r}, 'w'))\n"
    )
    fake.chmod(0o755)
    script = tmp_path / "step.sh"
    script.write_text(_run_step()["run"])
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "MULTIARCH_BOT_CONFIG": "multiarch-bot.yaml",
        "MULTIARCH_BOT_ACTION_TOKEN": SECRET,
        "MULTIARCH_BOT_DRY_RUN": "",
        "MULTIARCH_BOT_ONLY": "",
        "MULTIARCH_BOT_SHARD": "",
        "MULTIARCH_BOT_CACHE_DIR": "",
        "PYTHONPATH": str(ROOT),
    }
    return script, env


def _run_action(script: Path, env: dict[str, str], **inputs: str) -> dict[str, Any]:
    env = env | {f"MULTIARCH_BOT_{name.upper()}": value for name, value in inputs.items()}
    done = subprocess.run(
        ["bash", str(script)], env=env, cwd=script.parent, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    record = script.parent / "record.json"
    recorded: dict[str, Any] = json.loads(record.read_text())
    return recorded


def _parsed(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run_command.add_parser(parser.add_subparsers(dest="command_name"))
    return parser.parse_args(argv)


def test_the_script_hands_every_input_to_run_as_its_own_argument(
    action_script: tuple[Path, dict[str, str]],
) -> None:
    script, env = action_script
    (script.parent / "multiarch-bot.yaml").write_text("concurrency: 3\n")
    hostile = "acme/one, acme/two\n$(touch pwned) `touch pwned`"
    recorded = _run_action(script, env, dry_run="scan", only=hostile, shard="2/4")
    args = _parsed(recorded["argv"])
    assert args.config == Path("multiarch-bot.yaml")
    assert (args.dry_run, args.shard) == ("scan", "2/4")
    assert args.only == ["acme/one", "acme/two", "$(touch", "pwned)", "`touch", "pwned`"]
    assert not (script.parent / "pwned").exists()
    report = script.parent / "multiarch-bot-report.json"
    assert args.report_json == report
    assert (script.parent / "output").read_text() == f"report-json={report}\n"
    assert recorded["env"]["GITHUB_STEP_SUMMARY"] == env["GITHUB_STEP_SUMMARY"]


def test_the_token_goes_to_the_variable_the_config_names_and_nowhere_else(
    action_script: tuple[Path, dict[str, str]],
) -> None:
    script, env = action_script
    (script.parent / "multiarch-bot.yaml").write_text("github:\n  token_env: FLEET_TOKEN\n")
    recorded = _run_action(script, env)
    assert recorded["env"]["FLEET_TOKEN"] == SECRET
    assert "MULTIARCH_BOT_ACTION_TOKEN" not in recorded["env"]
    assert "MULTIARCH_BOT_TOKEN" not in recorded["env"]
    assert SECRET not in " ".join(recorded["argv"])


def test_the_default_token_variable_serves_a_config_without_one_or_one_that_does_not_load(
    action_script: tuple[Path, dict[str, str]],
) -> None:
    script, env = action_script
    (script.parent / "broken.yaml").write_text("targets: [\n")
    recorded = _run_action(script, env, config="broken.yaml")
    assert recorded["env"]["MULTIARCH_BOT_TOKEN"] == SECRET
    assert _parsed(recorded["argv"]).config == Path("broken.yaml")  # `run` reports it, exit 2


def test_a_cache_dir_input_overrides_the_configs_in_a_copy(
    action_script: tuple[Path, dict[str, str]],
) -> None:
    script, env = action_script
    original = "# mine\ntargets: [acme/tool]\ncache_dir: .state/cache\n"
    (script.parent / "multiarch-bot.yaml").write_text(original)
    recorded = _run_action(script, env, cache_dir=".multiarch-bot-cache")
    used = _parsed(recorded["argv"]).config
    assert used == script.parent / "multiarch-bot-config.yaml"
    assert yaml.safe_load(used.read_text()) == {"targets": ["acme/tool"], "cache_dir": ".multiarch-bot-cache"}
    assert (script.parent / "multiarch-bot.yaml").read_text() == original


def test_a_token_variable_that_is_no_variable_name_stops_the_step(
    action_script: tuple[Path, dict[str, str]],
) -> None:
    script, env = action_script
    (script.parent / "multiarch-bot.yaml").write_text("github:\n  token_env: 'X; rm -rf /'\n")
    done = subprocess.run(["bash", str(script)], env=env, cwd=script.parent, capture_output=True, text=True)
    assert done.returncode != 0
    assert "is not a variable name" in done.stderr
    assert not (script.parent / "record.json").exists()
    assert os.environ.get("X") is None
