"""`manage.py check` (and every command that runs the checks) reports a policy file it cannot use."""

from django.core.checks import Error, register

from incidentdesk.policy import PolicyError, current_policy


@register()
def policy_file_check(app_configs=None, **kwargs) -> list[Error]:
    try:
        current_policy()
    except PolicyError as exc:
        return [
            Error(
                str(exc),
                hint="Fix the policy file (the README lists every key), or unset DESK_POLICY_FILE.",
                id="incidentdesk.E001",
            )
        ]
    return []
