"""Conflicts: sources that measure the same thing and disagree, and reports nothing bears out."""

from datetime import timedelta

from incidentdesk.evals.scoring import check_citations
from tests.analysis.builders import NOW, ONSET, Evidence, run
from tests.analysis.test_packet_rules import packet


def test_the_same_metric_from_two_sources_rising_in_one_and_flat_in_the_other_is_a_conflict() -> None:
    ev = Evidence()
    moved = ev.metric("svc-front", "error_rate", 0.003, 0.06, source="datadog")
    flat = ev.metric("svc-front", "error_rate", 0.003, seed=2, source="prometheus")
    ev.metric("svc-front", "latency_p99_ms", 120, seed=3)
    p = packet(ev)
    conflict = next(c for c in p["conflicts"] if "disagrees between sources" in c["text"])
    assert set(conflict["evidence"]) == {moved, flat}
    assert "datadog" in conflict["text"] and "prometheus" in conflict["text"]
    assert all(h["confidence"] != "high" for h in p["hypotheses"])
    assert p["hypotheses"][0]["kind"] == "unknown"
    assert check_citations(p).passed


def test_two_sources_that_both_rise_do_not_conflict() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.003, 0.06, source="datadog")
    ev.metric("svc-front", "error_rate", 0.003, 0.05, seed=2, source="prometheus")
    assert not any("disagrees" in c["text"] for c in packet(ev)["conflicts"])


def test_a_loud_new_error_while_error_rate_and_latency_stay_flat_is_a_conflict() -> None:
    ev = Evidence()
    rate = ev.metric("svc-front", "error_rate", 0.002)
    ev.metric("svc-front", "latency_p99_ms", 300, seed=2)
    ev.metric("svc-front", "requests_per_s", 400, seed=3)
    ok = ev.monitor("svc-front 5xx", "svc-front", "error_rate", "ok", NOW - timedelta(days=3))
    err = ev.error(
        "e-1", "svc-front", "StaleRead: replica behind", ONSET, [("app/db.py", "read_row")], count=5000
    )
    p = packet(ev)
    conflict = next(c for c in p["conflicts"] if "Error tracker" in c["text"])
    assert {err, rate, ok} <= set(conflict["evidence"])
    assert check_citations(p).passed


def test_a_handful_of_new_error_events_against_heavy_traffic_is_no_conflict() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002)
    ev.metric("svc-front", "requests_per_s", 4000, seed=3)
    ev.error("e-1", "svc-front", "StaleRead: replica behind", ONSET, [("app/db.py", "read_row")], count=150)
    assert not any("Error tracker" in c["text"] for c in packet(ev)["conflicts"])


def test_a_new_error_that_the_error_rate_shows_is_no_conflict() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.08)
    ev.error("e-1", "svc-front", "KeyError: 'x'", ONSET, [("app/db.py", "read_row")], count=5000)
    assert packet(ev)["conflicts"] == []


def test_a_report_that_no_metric_monitor_or_error_bears_out_is_a_conflict() -> None:
    ev = Evidence()
    ids = [
        ev.metric("svc-front", "error_rate", 0.002),
        ev.metric("svc-front", "latency_p99_ms", 300, seed=2),
    ]
    ok = ev.monitor("svc-front login synthetic", "svc-front", "synthetics", "ok", NOW - timedelta(days=3))
    p = packet(ev, run=run(trigger_source="slack", title="users cannot log in"))
    assert len(p["conflicts"]) == 1
    assert set(p["conflicts"][0]["evidence"]) == {*ids, ok}
    assert p["hypotheses"][0]["kind"] == "unknown"


def test_personal_data_in_logs_is_support_enough_for_a_report() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002)
    ev.log("svc-front", "info", "payload [REDACTED:email]", ONSET, redactions=("email",))
    assert packet(ev)["conflicts"] == []


def test_the_same_few_events_against_light_traffic_would_show_in_the_error_rate() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002)
    ev.metric("svc-front", "requests_per_s", 2, seed=3)
    ev.error("e-1", "svc-front", "StaleRead: replica behind", ONSET, [("app/db.py", "read_row")], count=150)
    assert any("Error tracker" in c["text"] for c in packet(ev)["conflicts"])
