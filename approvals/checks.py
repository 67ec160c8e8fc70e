"""`manage.py check` holds the action registry, the executors and the policy file together."""

from django.core.checks import Error, register

from approvals import actions
from incidentdesk.policy import PolicyError, current_policy


@register()
def action_registry_check(app_configs=None, **kwargs) -> list[Error]:
    try:
        policy = current_policy()
    except PolicyError:
        return []  # incidentdesk.E001 reports the file itself
    errors = []
    for spec in actions.SPECS:
        if spec.name not in policy.actions:
            errors.append(
                Error(
                    f"the action '{spec.name}' has no rule in {policy.source}",
                    hint=f"Add actions.{spec.name} to the policy file (decision, rule, approvals).",
                    id="approvals.E001",
                )
            )
        if not spec.executors or not spec.label:
            errors.append(Error(f"the action '{spec.name}' has no executor or no label", id="approvals.E002"))
    known = {spec.name for spec in actions.SPECS}
    for name in sorted(policy.production_actions - known):
        errors.append(
            Error(
                f"{policy.source}: actions.{name}: the desk has no such action, so this rule never applies",
                hint=f"Known actions: {', '.join(sorted(known))}.",
                id="approvals.E003",
            )
        )
    return errors
