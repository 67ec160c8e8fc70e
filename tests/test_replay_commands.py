"""`manage.py replay` and `manage.py evals` as an operator runs them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "scenarios"
OURS = ROOT / "tests" / "scenarios"


def manage(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOK_SECRET_")}
    env.update({"DJANGO_SETTINGS_MODULE": "incidentdesk.settings", "DJANGO_DEBUG": "1"})
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


def scenario_files() -> list[Path]:
    return sorted(OURS.glob("*.json")) + (sorted(SHARED.glob("*.json")) if SHARED.is_dir() else [])


def test_replay_prints_exactly_one_packet_document(tmp_path):
    path = scenario_files()[0]
    result = manage("replay", str(path), "--json")
    assert result.returncode == 0, result.stderr
    packet = json.loads(result.stdout)
    assert packet["format"] == "incidentdesk.packet/v1"
    assert packet["text"].startswith("Incident packet\n")


def test_replay_of_several_files_prints_one_array():
    paths = scenario_files()[:2]
    result = manage("replay", *map(str, paths), "--json")
    assert result.returncode == 0, result.stderr
    packets = json.loads(result.stdout)
    assert isinstance(packets, list) and len(packets) == 2


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON"),
    (json.dumps({"format": "something/v9"}), "format must be"),
    (json.dumps({"format": "incidentdesk.scenario/v1", "now": "yesterday"}), "not an ISO 8601 time"),
])
def test_a_malformed_scenario_gets_one_line_and_no_traceback(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = manage("replay", str(path), "--json")
    assert result.returncode != 0
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_evals_passes_every_scenario_and_no_packet_is_confidently_wrong():
    dirs = [str(d) for d in (OURS, SHARED) if d.is_dir() and any(d.glob("*.json"))]
    result = manage("evals", *dirs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout
    # Every scenario that names its cause is checked for a high hypothesis that is not it.
    checked, total = re.search(r"wrong_high\s+(\d+)/(\d+)", result.stdout).groups()
    with_a_cause = sum("top_cause" in json.loads(p.read_text())["expect"] for p in scenario_files())
    assert checked == total and int(total) == with_a_cause


def test_evals_exits_non_zero_below_the_threshold(tmp_path):
    scenario = json.loads(scenario_files()[0].read_text())
    scenario["expect"] = {"service": "a-service-that-is-not-there"}
    (tmp_path / "wrong.json").write_text(json.dumps(scenario))
    result = manage("evals", str(tmp_path), "--min-pass", "100")
    assert result.returncode == 1
    assert "FAIL  wrong.json" in result.stdout
