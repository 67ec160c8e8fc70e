"""How a confirmed cause is judged against the packet's first hypothesis, without a database."""

import pytest

from incidentdesk.causes import (
    Cause,
    EvidenceRecord,
    Verdict,
    cause_from_key,
    cause_verdict,
    evidence_causes,
    same_cause,
)


@pytest.mark.parametrize(
    ("desk", "confirmed", "verdict"),
    [
        (Cause("deploy", "d-77"), Cause("deploy", "d-77"), Verdict.RIGHT),
        (Cause("deploy", "d-77"), Cause("deploy", " d-77 "), Verdict.RIGHT),
        (Cause("deploy", "d-77"), Cause("deploy", "d-76"), Verdict.WRONG),
        (Cause("deploy", "d-77"), Cause("deploy", "D-77"), Verdict.WRONG),
        (Cause("deploy", "fast-cart"), Cause("feature_flag", "fast-cart"), Verdict.WRONG),
        (Cause("feature_flag", "fast-cart"), Cause("feature_flag", "fast-cart"), Verdict.RIGHT),
        (Cause("dependency", "payments-gateway"), Cause("dependency", "ledger-db"), Verdict.WRONG),
        (Cause("config_change", "cal-1"), Cause("config_change", "cal-1"), Verdict.RIGHT),
        (Cause("capacity", "ledger-db"), Cause("capacity", "payments-gateway"), Verdict.RIGHT),
        (Cause("external", "cdn"), Cause("external", "Fastly"), Verdict.RIGHT),
        (Cause("external", "cdn"), Cause("dependency", "cdn"), Verdict.WRONG),
        (Cause("deploy", "d-77"), Cause("unknown"), Verdict.WRONG),
        (Cause("unknown"), Cause("unknown"), Verdict.DESK_UNKNOWN),
        (Cause("unknown"), Cause("deploy", "d-77"), Verdict.DESK_UNKNOWN),
        (None, Cause("deploy", "d-77"), Verdict.DESK_UNKNOWN),
    ],
)
def test_the_desk_is_right_only_on_the_same_kind_and_ref(desk, confirmed, verdict):
    assert cause_verdict(desk=desk, confirmed=confirmed) == verdict


def test_capacity_and_external_are_compared_by_kind_as_the_evals_do():
    assert same_cause(Cause("capacity", "a"), Cause("capacity", "b"))
    assert not same_cause(Cause("deploy", "a"), Cause("deploy", "b"))


def test_a_form_value_names_only_a_cause_that_was_offered():
    offered = [Cause("deploy", "d-77"), Cause("unknown")]
    assert cause_from_key("deploy:d-77", offered) == offered[0]
    assert cause_from_key("unknown:", offered) == offered[1]
    assert cause_from_key("deploy:d-99", offered) is None


def test_the_evidence_offers_each_change_each_other_service_and_each_saturated_one():
    records = [
        EvidenceRecord("E1", "deploys", "checkout-api", {"id": "d-77", "service": "checkout-api",
                                                          "description": "Deploy main"}),
        EvidenceRecord("E2", "deploys", "checkout-api", {"id": "d-77", "service": "checkout-api"}),
        EvidenceRecord("E3", "feature_flags", "checkout-api", {"key": "fast-cart", "actor": "alice"}),
        EvidenceRecord("E4", "change_calendar", "", {"uid": "cal-9", "kind": "maintenance", "title": "DB failover"}),
        EvidenceRecord("E5", "metrics", "ledger-db", {"name": "saturation"}),
        EvidenceRecord("", "", "payments-gateway", {}),
        EvidenceRecord("", "", "checkout-api", {}),
    ]
    causes = evidence_causes(records, service="checkout-api")
    assert [c.key for c in causes] == [
        "deploy:d-77", "feature_flag:fast-cart", "dependency:ledger-db", "dependency:payments-gateway",
        "config_change:cal-9", "capacity:ledger-db",
    ]
    assert causes[0].summary == "Deploy d-77 of checkout-api: Deploy main"
