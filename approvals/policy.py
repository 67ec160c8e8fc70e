"""The policy: allow, needs approval, or deny, for an (actor, action, scope). Pure functions.

The rules come from the policy file (approvals/policy.yaml by default); every decision
names the rule that made it. Anything the file does not name is denied.
"""

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["allow", "needs_approval", "deny"]


@dataclass(frozen=True)
class ActionRequest:
    actor: str
    action: str  # read | post_summary | create_ticket | rollback | scale | status_update | flag_toggle | restart
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


def decide(policy: dict, request: ActionRequest) -> Decision:
    rules = (policy or {}).get("actions") or {}
    log = bool(request.touches_customer_data and (policy or {}).get("customer_data_is_logged", True))
    rule = rules.get(request.action)
    if not isinstance(rule, dict):
        return Decision("deny", "default-deny", f"the policy names no rule for '{request.action}'", 0, log)
    name = str(rule.get("rule") or request.action)
    if rule.get("only_inside_scope") and (request.service is None or request.service not in request.scope):
        return Decision("deny", name, f"{request.service or 'an unnamed service'} is outside the run's scope "
                                      f"({', '.join(sorted(request.scope)) or 'empty'})", 0, log)
    if rule.get("requires_links") and not any(link.strip() for link in request.links):
        return Decision("deny", name, "a ticket must carry the source links", 0, log)
    outcome = rule.get("decision")
    if outcome == "allow":
        return Decision("allow", name, "allowed by policy", 0, log)
    if outcome == "needs_approval":
        approvals = int(rule.get("approvals", 1))
        if request.severity == "sev1" and rule.get("approvals_at_sev1"):
            approvals = int(rule["approvals_at_sev1"])
        who = "two different owners" if approvals >= 2 else "an owner"
        return Decision("needs_approval", name, f"{request.action} changes production: {who} of "
                                                f"{request.service or 'the service'} must approve", approvals, log)
    return Decision("deny", name, f"denied by rule {name}", 0, log)
