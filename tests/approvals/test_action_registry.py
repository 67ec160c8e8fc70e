"""One registry describes every production action: what derives from it, and what adding one takes."""

import pytest

from approvals import actions as registry
from approvals.actions import ACTIONS, SPECS, ActionSpec, action_choices, ask_choices, executor_class
from approvals.checks import action_registry_check
from approvals.executors import ExecutionResult, Executor
from approvals.forms import RequestForm
from approvals.models import ActionProposal
from approvals.selectors import proposals_panel
from approvals.services import proposal_approve, proposal_execute, proposal_request
from incidentdesk.action_labels import action_label
from incidentdesk.analysis.render import render_text
from incidentdesk.evals.scoring import APPROVAL_ACTIONS
from incidentdesk.policy import shipped_policy
from tests.approvals.builders import packet_add, run_create

State = ActionProposal.State


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_registered_action_has_a_policy_rule_an_executor_and_a_label(spec):
    policy = shipped_policy()
    assert policy.actions[spec.name].decision in ("needs_approval", "deny")
    assert spec.label and spec.ask_label
    assert spec.executors
    for method, cls in spec.executors.items():
        assert issubclass(cls, Executor) and cls.vendor == method
        assert executor_class(spec.name, method) is cls
    assert spec.summary({}, "t-1")  # a summary even before anything is bound
    assert set(spec.requestable) <= set(RequestForm.base_fields) | {"name", "body"}


def test_the_registry_check_passes_on_the_shipped_policy():
    assert action_registry_check() == []


def test_choices_forms_packet_labels_and_eval_scoring_come_from_the_registry():
    names = [spec.name for spec in SPECS]
    for spec in SPECS:
        assert action_label(spec.name) == spec.label
        item = {"action": spec.name, "target": "t-1", "safe": True}
        assert f"- {spec.label}: t-1" in render_text({"requires_approval": [item]})
    assert [v for v, _ in ActionProposal._meta.get_field("action").choices] == names
    assert [v for v, _ in RequestForm().fields["action"].choices] == names
    assert [v for v, _ in ask_choices()] == names
    assert set(APPROVAL_ACTIONS) == set(names) == set(ACTIONS)


class DrainNode(Executor):
    vendor = "kubernetes"
    drained: list = []

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        self.drained.append(dict(params))
        return ExecutionResult(ok=True, dry_run=True, summary=f"would cordon and drain {params['node']}")


@pytest.fixture
def drain_registered(monkeypatch, edit_policy):
    """"Drain a node", added the way the README says: one spec, one executor, one policy rule."""
    spec = ActionSpec(
        "drain_node",
        "Drain a node",
        "Drain a node",
        lambda ctx: (ctx.run.service, {"method": "kubernetes", "node": ctx.target}),
        lambda p, target: f"Cordon and drain node {p.get('node') or target}",
        {"kubernetes": DrainNode},
    )
    monkeypatch.setattr(registry, "SPECS", (*SPECS, spec))
    monkeypatch.setitem(registry.ACTIONS, spec.name, spec)
    edit_policy(
        (
            "\n# Anything touching",
            "  drain_node:\n    decision: needs_approval\n    rule: production-changes-need-an-owner\n"
            "    approvals: 1\n\n# Anything touching",
        )
    )
    DrainNode.drained = []
    return spec


@pytest.mark.django_db
def test_a_new_action_is_one_spec_one_executor_and_one_rule(catalog, users, drain_registered):
    assert action_registry_check() == []
    assert ("drain_node", "Drain a node") in action_choices()
    run = run_create()
    packet_add(run, [])
    panel = proposals_panel(run=run, user=users["abe"])
    assert ("drain_node", "Drain a node") in panel.ask_choices

    proposal = proposal_request(run=run, user=users["abe"], action="drain_node", target="node-7")
    assert proposal.summary == "Cordon and drain node node-7" and str(proposal).startswith("Drain a node node-7")
    assert proposal.policy_rule == "production-changes-need-an-owner"
    assert proposal_approve(proposal=proposal, user=users["alice"]).state == State.APPROVED
    done = proposal_execute(proposal_id=proposal.pk)

    assert (done.state, done.outcome) == (State.SUCCEEDED, "would cordon and drain node-7")
    assert DrainNode.drained == [{"method": "kubernetes", "node": "node-7"}]


@pytest.mark.django_db
def test_a_registered_action_the_policy_does_not_name_is_refused(catalog, users, monkeypatch, edit_policy):
    spec = ActionSpec("drain_node", "Drain a node", "Drain a node", lambda ctx: (ctx.run.service, {}),
                      lambda p, t: t, {"kubernetes": DrainNode})
    monkeypatch.setattr(registry, "SPECS", (*SPECS, spec))
    monkeypatch.setitem(registry.ACTIONS, spec.name, spec)
    assert [e.id for e in action_registry_check()] == ["approvals.E001"]

    run = run_create()
    packet_add(run, [])
    with pytest.raises(Exception, match="drain_node"):
        proposal_request(run=run, user=users["abe"], action="drain_node", target="node-7")
    assert not run.proposals.exists()
