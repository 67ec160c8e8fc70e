"""Moving a scenario in time: every moment it states moves alike, by whole minutes."""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from incidentdesk.models import RunKey, Trigger
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import scenario_load
from incidentdesk.replay.timeshift import scenario_moved

OURS = Path(__file__).resolve().parent / "scenarios"
TO = datetime(2026, 12, 2, 9, 5, 17, tzinfo=UTC)


def scenario(**parts) -> dict:
    return {"format": "incidentdesk.scenario/v1", "now": "2026-05-16T20:14:30Z",
            "trigger": {"source": "generic", "body": {}}, "catalog": {"services": []}, **parts}


def test_now_lands_in_the_minute_asked_for_and_keeps_its_seconds():
    assert scenario_moved(scenario(), to=TO)["now"] == "2026-12-02T09:05:30Z"


def test_it_moves_every_iso_time_and_keeps_its_shape():
    moved = scenario_moved(scenario(sources={"logs": [
        {"ts": "2026-05-16T20:02:00Z", "message": "cert notAfter 2026-05-16T21:00Z; renewal failed"},
        {"ts": "2026-05-16T22:02:07.250+02:00", "message": "at 2026-05-16 20:13:59 the pool ran dry"},
    ]}), to=TO)
    first, second = moved["sources"]["logs"]
    assert first["ts"] == "2026-12-02T08:53:00Z"
    assert first["message"] == "cert notAfter 2026-12-02T09:51Z; renewal failed"
    assert second["ts"] == "2026-12-02T10:53:07.250+02:00"
    assert second["message"] == "at 2026-12-02 09:04:59 the pool ran dry"


def test_it_moves_a_time_of_day_given_in_utc_but_leaves_other_clock_readings():
    moved = scenario_moved(scenario(trigger={"source": "generic", "body": {
        "summary": "143 tickets since about 19:52 UTC; the 18:40 deploy looked fine",
    }}), to=TO)
    assert moved["trigger"]["body"]["summary"] == "143 tickets since about 08:43 UTC; the 18:40 deploy looked fine"


def test_it_moves_unix_times_near_now_but_not_ids_or_counts():
    now = datetime(2026, 5, 16, 20, 14, 30, tzinfo=UTC).timestamp()
    moved = scenario_moved(scenario(trigger={"source": "slack", "body": {
        "event_time": int(now), "event": {"ts": f"{now:.6f}", "deploy_id": 2210498331, "count": 37},
        "timestamp_ms": int(now * 1000),
    }}), to=TO)["trigger"]["body"]
    shift = (datetime(2026, 12, 2, 9, 5, tzinfo=UTC) - datetime(2026, 5, 16, 20, 14, tzinfo=UTC)).total_seconds()
    assert moved["event_time"] == int(now + shift)
    assert moved["event"]["ts"] == f"{now + shift:.6f}"
    assert moved["timestamp_ms"] == int((now + shift) * 1000)
    assert moved["event"]["deploy_id"] == 2210498331 and moved["event"]["count"] == 37


def test_a_form_encoded_trigger_body_is_decoded_moved_and_encoded_again():
    body = "command=%2Fincident&text=checkout+down+since+19%3A52+UTC&team_id=T01"
    moved = scenario_moved(scenario(trigger={"source": "slack", "body": body}), to=TO)["trigger"]["body"]
    assert parse_qs(moved) == {"command": ["/incident"], "text": ["checkout down since 08:43 UTC"], "team_id": ["T01"]}


@pytest.mark.django_db(transaction=True)
def test_a_moved_scenario_replays_to_the_same_packet_at_the_new_time():
    original = scenario_load(OURS / "several-deploys-1-matchmaking-bucket-panic.json")
    before = replay_scenario(original)
    # The same deliveries again would be retries, and the vendor's issue id would join the first run.
    Trigger.objects.all().delete()
    RunKey.objects.all().delete()
    after = replay_scenario(scenario_moved(original, to=TO))

    def gist(packet: dict) -> dict:
        return {
            "service": packet["service"], "severity": packet["severity"], "owner": packet["owner"]["team"],
            "hypotheses": [(h["kind"], h["ref"], h["confidence"]) for h in packet["hypotheses"]],
            "requires_approval": packet["requires_approval"], "signals": len(packet["signals"]),
            "evidence": [e["source"] for e in packet["evidence"]],
        }

    assert gist(after) == gist(before)
    assert after["first_seen"].startswith("2026-12-02T08:")
