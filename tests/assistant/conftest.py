import json
from pathlib import Path

import pytest

from incidentdesk import clock
from incidentdesk.models import Run
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import parse_time
from incidentdesk.services.packets import packet_build
from tests.assistant.fake_llm import FakeLLM, Reply, cited_reply

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def scenario(name: str) -> dict:
    return json.loads((SCENARIOS / name).read_text())


@pytest.fixture
def fake_llm():
    with FakeLLM() as fake:
        yield fake


@pytest.fixture
def llm_on(settings, fake_llm):
    """Returns a switch: call it to point the desk at the fake endpoint."""

    def on(reply=cited_reply, *, timeout: float = 2.0, budget: int = 20000) -> FakeLLM:
        fake_llm.reply = reply
        settings.LLM_BASE_URL = fake_llm.base_url
        settings.LLM_MODEL = "fake-model"
        settings.LLM_API_KEY = "sk-test-key-for-the-fake-endpoint"
        settings.LLM_TIMEOUT_SECONDS = timeout
        settings.LLM_TOKEN_BUDGET_PER_RUN = budget
        return fake_llm

    settings.LLM_BASE_URL = ""
    return on


class Built:
    """A scenario replayed with the model off, and a way to build its packet again."""

    def __init__(self, data: dict) -> None:
        self.scenario = data
        self.off = replay_scenario(data)
        self.run = Run.objects.order_by("-pk").first()

    def build(self) -> dict:
        with clock.frozen_at(parse_time(self.scenario["now"], "now")):
            return packet_build(run=self.run).data


@pytest.fixture
def replayed(transactional_db, llm_on):
    def replay(name_or_data: str | dict) -> Built:
        data = scenario(name_or_data) if isinstance(name_or_data, str) else name_or_data
        return Built(data)

    return replay


__all__ = ["Reply", "scenario"]
