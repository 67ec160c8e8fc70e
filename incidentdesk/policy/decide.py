"""Allow, needs approval, or deny, for an (actor, action, scope). Pure: the policy is an argument.

Every decision names the rule that made it; an action the policy has no rule for is denied.
"""

from dataclasses import dataclass, field

from incidentdesk.policy.schema import Outcome, Policy


@dataclass(frozen=True)
class ActionRequest:
    actor: str
    action: str  # a rule's name in the policy file
    service: str | None  # the service the action is about
    scope: frozenset[str] = field(default_factory=frozenset)  # the run's service and its dependencies
    severity: str | None = None
    links: tuple[str, ...] = ()
    touches_customer_data: bool = False


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: str
    reason: str
    approvals_required: int = 0
    log_customer_data: bool = False

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"


def decide(policy: Policy, request: ActionRequest) -> Decision:
    log = bool(request.touches_customer_data and policy.customer_data_is_logged)
    rule = policy.actions.get(request.action)
    if rule is None:
        return Decision("deny", "default-deny", f"the policy names no rule for '{request.action}'", 0, log)
    name = rule.rule
    if rule.only_inside_scope and (request.service is None or request.service not in request.scope):
        outside = f"{request.service or 'an unnamed service'} is outside the run's scope"
        return Decision("deny", name, f"{outside} ({', '.join(sorted(request.scope)) or 'empty'})", 0, log)
    if rule.requires_links and not any(link.strip() for link in request.links):
        return Decision("deny", name, "a ticket must carry the source links", 0, log)
    if rule.decision == "allow":
        return Decision("allow", name, "allowed by policy", 0, log)
    if rule.decision == "needs_approval":
        approvals = rule.approvals
        if request.severity == "sev1" and rule.approvals_at_sev1:
            approvals = rule.approvals_at_sev1
        who = "two different owners" if approvals >= 2 else "an owner"
        reason = f"{request.action} changes production: {who} of {request.service or 'the service'} must approve"
        return Decision("needs_approval", name, reason, approvals, log)
    return Decision("deny", name, f"denied by rule {name}", 0, log)
