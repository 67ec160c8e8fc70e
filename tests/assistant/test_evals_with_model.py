"""`manage.py evals --with-model` as an operator runs it, against the local fake endpoint."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidentdesk.evals.scorecard import ScenarioResult, Scorecard, regressions
from tests.assistant.fake_llm import FakeLLM

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED = ROOT.parent / "shared" / "scenarios"


def manage(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOK_SECRET_", "LLM_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "incidentdesk.settings", "DJANGO_DEBUG": "1", **env_extra})
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared scenarios next to the project")
def test_the_model_never_lowers_the_scorecard():
    total = len(list(SHARED.glob("*.json")))
    with FakeLLM() as fake:
        result = manage(
            "evals",
            str(SHARED),
            "--with-model",
            env_extra={"LLM_BASE_URL": fake.base_url, "LLM_MODEL": "fake-model", "LLM_TIMEOUT_SECONDS": "5"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Without the model: {total}/{total} passed" in result.stdout
    assert f"With the model:    {total}/{total} passed" in result.stdout
    assert "Worse with the model: none" in result.stdout
    assert len(fake.requests) == total  # one call per scenario, all with the model on


def test_with_model_needs_an_endpoint():
    result = manage("evals", "--with-model", env_extra={})
    assert result.returncode != 0 and "LLM_BASE_URL" in result.stderr


def test_a_scenario_that_fails_only_with_the_model_is_a_regression():
    without, with_model = Scorecard(), Scorecard(with_model=True)
    without.results = [ScenarioResult("a", True), ScenarioResult("b", False), ScenarioResult("c", True)]
    with_model.results = [ScenarioResult("a", True), ScenarioResult("b", True), ScenarioResult("c", False)]
    assert regressions(without, with_model) == ["c"]
