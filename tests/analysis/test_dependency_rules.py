"""Dependencies: the deepest failure, unreachable services, and caller errors that only waited."""

from datetime import timedelta

from tests.analysis.builders import ONSET, Evidence
from tests.analysis.test_packet_rules import packet

TOTALS_PATCH = (
    "@@ -33,3 +33,3 @@ def totals(basket):\n-    items = basket.products\n+    items = basket.lines\n"
)


def chain_failing(ev: Evidence) -> None:
    """svc-deep fails first, svc-mid (its caller) next, svc-front last."""
    ev.metric("svc-deep", "latency_p99_ms", 12, 3000, onset=ONSET - timedelta(minutes=3), seed=5)
    ev.metric("svc-mid", "error_rate", 0.001, 0.2, onset=ONSET - timedelta(minutes=1), seed=6)
    ev.metric("svc-front", "error_rate", 0.002, 0.06, seed=7)
    ev.metric("svc-front", "latency_p99_ms", 150, 1100, seed=8)
    for i in range(5):
        ev.log(
            "svc-mid",
            "error",
            f"OperationalError: canceling statement due to lock timeout (svc-deep, query {i})",
            ONSET - timedelta(seconds=50 - 10 * i),
        )
        ev.log(
            "svc-front",
            "error",
            f"svc-mid GET /rules timed out after 1000ms (call {i})",
            ONSET + timedelta(seconds=10 * i),
        )


def test_the_deepest_failing_dependency_named_by_its_caller_is_the_cause_and_owns_it() -> None:
    ev = Evidence()
    chain_failing(ev)
    p = packet(ev)
    top = p["hypotheses"][0]
    # Nothing explains why svc-deep fails, so it is a finding at medium, not a settled cause.
    assert (top["kind"], top["ref"], top["confidence"]) == ("dependency", "svc-deep", "medium")
    middle = next(h for h in p["hypotheses"] if h["ref"] == "svc-mid")
    assert middle["confidence"] == "low" and "downstream of svc-deep" in middle["summary"]
    assert middle["against"], "the victim cites the deeper failure against itself"
    assert p["owner"] == {"team": "team-beta", "oncall": "b1", "basis": "cause"}


def test_a_caller_timeout_stack_does_not_tie_the_callers_own_deploy_to_the_failure() -> None:
    ev = Evidence()
    chain_failing(ev)
    ev.pull_request(55, "org/svc-front", [("front/basket/totals.py", TOTALS_PATCH)])
    ev.deploy("dep-front", "svc-front", ONSET - timedelta(minutes=38), pr=55)
    ev.error(
        "e-1",
        "svc-front",
        "RulesTimeout: GET /v1/applicable exceeded 1000ms",
        ONSET + timedelta(seconds=12),
        [
            ("front/api/basket.py", "get_basket"),
            ("front/basket/totals.py", "totals"),
            ("front/rules/client.py", "applicable"),
        ],
        count=6000,
    )
    p = packet(ev)
    deploy = next(h for h in p["hypotheses"] if h["ref"] == "dep-front")
    assert deploy["confidence"] == "low"
    assert p["hypotheses"][0]["ref"] == "svc-deep"


def test_the_same_stack_without_a_failing_dependency_still_ties_the_deploy() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.06, seed=7)
    ev.pull_request(55, "org/svc-front", [("front/basket/totals.py", TOTALS_PATCH)])
    ev.deploy("dep-front", "svc-front", ONSET - timedelta(minutes=8), pr=55)
    ev.error(
        "e-1",
        "svc-front",
        "AttributeError: 'Basket' object has no attribute 'lines'",
        ONSET + timedelta(seconds=12),
        [("front/api/basket.py", "get_basket"), ("front/basket/totals.py", "totals")],
    )
    top = packet(ev)["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("deploy", "dep-front", "high")


def unreachable_mid(ev: Evidence, name_it: bool = True) -> None:
    ev.metric("svc-front", "error_rate", 0.0015, 0.33, seed=7)
    ev.metric("svc-mid", "requests_per_s", 530, 35, onset=ONSET - timedelta(seconds=30), seed=9)
    ev.metric("svc-mid", "error_rate", 0.0005, seed=10)
    target = "https://svc-mid.internal:8443/v2/resolve" if name_it else "the upstream"
    for i in range(6):
        ev.log(
            "svc-front",
            "error",
            f"GET {target} failed: x509: certificate has expired (attempt {i})",
            ONSET + timedelta(seconds=10 * i),
        )


def test_a_dependency_whose_traffic_collapsed_while_callers_name_it_is_the_unreachable_cause() -> None:
    ev = Evidence()
    unreachable_mid(ev)
    ev.pull_request(60, "org/svc-front", [("front/pdf/fonts.py", "@@ -1 +1 @@\n-FONT = 'A'\n+FONT = 'B'\n")])
    ev.deploy("dep-fonts", "svc-front", ONSET - timedelta(minutes=20), pr=60)
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("dependency", "svc-mid", "medium")
    assert "not being reached" in top["summary"]
    deploy = next(h for h in p["hypotheses"] if h["ref"] == "dep-fonts")
    assert deploy["confidence"] == "low"
    assert not any(a["action"] == "rollback" for a in p["requires_approval"])


def test_a_traffic_drop_alone_is_not_a_failing_dependency() -> None:
    ev = Evidence()
    unreachable_mid(ev, name_it=False)
    assert not any(h["kind"] == "dependency" for h in packet(ev)["hypotheses"])


def test_a_planned_change_on_a_direct_dependency_covering_the_onset_lines_up_even_if_it_recovered() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.003, 0.16)
    ev.metric("svc-mid", "error_rate", 0.001, seed=4)
    ev.calendar(
        "MIG-1", "migration", ONSET - timedelta(minutes=4), ONSET + timedelta(minutes=26), ["svc-mid"]
    )
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("config_change", "MIG-1", "medium")
    assert p["owner"]["team"] == "team-alpha"


def test_a_planned_change_two_hops_down_that_looks_healthy_is_not_a_cause() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.003, 0.16)
    ev.calendar(
        "MIG-2", "migration", ONSET - timedelta(minutes=4), ONSET + timedelta(minutes=26), ["svc-deep"]
    )
    p = packet(ev)
    assert p["hypotheses"][0]["kind"] == "unknown"
