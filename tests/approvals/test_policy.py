"""Each rule of the default policy file, without a database."""

import pytest

from incidentdesk.policy import ActionRequest, decide, shipped_policy

POLICY = shipped_policy()
SCOPE = frozenset({"checkout-api", "payments-gateway"})


def request(action: str, **kw) -> ActionRequest:
    return ActionRequest(actor="desk", action=action, service=kw.pop("service", "checkout-api"), scope=SCOPE, **kw)


def test_a_read_inside_the_scope_is_allowed():
    decision = decide(POLICY, request("read", service="payments-gateway"))
    assert decision.outcome == "allow" and decision.rule == "reads-inside-service-scope"


def test_a_read_outside_the_scope_is_refused_naming_the_rule():
    decision = decide(POLICY, request("read", service="hr-portal"))
    assert decision.outcome == "deny" and decision.rule == "reads-inside-service-scope"
    assert "outside" in decision.reason


def test_posting_the_summary_is_allowed():
    assert decide(POLICY, request("post_summary")).outcome == "allow"


def test_a_ticket_without_links_is_refused():
    decision = decide(POLICY, request("create_ticket", links=()))
    assert decision.outcome == "deny" and "links" in decision.reason


def test_a_ticket_with_links_is_allowed():
    assert decide(POLICY, request("create_ticket", links=("https://sentry.io/issues/1",))).outcome == "allow"


@pytest.mark.parametrize("action", ["rollback", "scale", "status_update", "flag_toggle", "restart"])
def test_production_changes_need_an_owners_approval(action):
    decision = decide(POLICY, request(action, severity="sev2"))
    assert decision.outcome == "needs_approval" and decision.approvals_required == 1


def test_a_sev1_rollback_needs_two_approvers():
    assert decide(POLICY, request("rollback", severity="sev1")).approvals_required == 2


def test_an_action_the_policy_does_not_name_is_denied():
    decision = decide(POLICY, request("drop_database"))
    assert decision.outcome == "deny" and decision.rule == "default-deny"


def test_customer_data_is_marked_for_the_audit_trail():
    assert decide(POLICY, request("read", touches_customer_data=True)).log_customer_data
    assert not decide(POLICY, request("read")).log_customer_data
