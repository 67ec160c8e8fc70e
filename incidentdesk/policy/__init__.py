"""The desk's policy: severity rules and action rules, read from one file into typed objects.

`current_policy()` is the policy in force (DESK_POLICY_FILE, read again when the file changes;
an edit that does not validate is logged and the last good policy stays in force), `decide()`
applies its action rules, and `shipped_policy()` is the file that comes with the desk.
"""

import logging
import threading
from pathlib import Path

from incidentdesk.policy.decide import ActionRequest, Decision, decide
from incidentdesk.policy.loader import PolicyError, parse_policy, read_policy
from incidentdesk.policy.schema import DESK_ACTIONS, ActionRule, Policy, SeverityRules

SHIPPED = Path(__file__).with_name("policy.yaml")
logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, tuple[float, Policy]] = {}
_problems: dict[str, str] = {}


def shipped_policy() -> Policy:
    return _read(SHIPPED)


def current_policy() -> Policy:
    """The policy in force. Raises PolicyError only when no version of the file was ever valid."""
    from django.conf import settings

    return _read(Path(settings.DESK_POLICY_FILE))


def policy_problem() -> str:
    """Why the latest edit of the policy file was not taken, or "" when it was."""
    from django.conf import settings

    return _problems.get(str(Path(settings.DESK_POLICY_FILE)), "")


def _read(path: Path) -> Policy:
    key = str(path)
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from exc
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            policy = read_policy(path)
        except PolicyError as exc:
            if cached is None:
                raise
            if _problems.get(key) != str(exc):
                logger.error("policy file edit not taken, the previous version stays in force: %s", exc)
            _problems[key] = str(exc)
            return cached[1]
        _cache[key] = (mtime, policy)
        _problems.pop(key, None)
        return policy


__all__ = [
    "DESK_ACTIONS",
    "ActionRequest",
    "ActionRule",
    "Decision",
    "Policy",
    "PolicyError",
    "SeverityRules",
    "current_policy",
    "decide",
    "parse_policy",
    "policy_problem",
    "read_policy",
    "shipped_policy",
]
