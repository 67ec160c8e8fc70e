"""Action executors: one module per vendor; the only code that changes anything outside the desk.

Only `approvals.services` calls them. EXECUTORS maps a proposal's (action, method) to its class.
"""

from approvals.executors.argocd import ArgoCDRollback
from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest
from approvals.executors.github import GitHubIssue, GitHubRollback
from approvals.executors.jira import JiraIssue
from approvals.executors.kubernetes import KubernetesRestart, KubernetesScale
from approvals.executors.launchdarkly import LaunchDarklyFlagOff
from approvals.executors.slack import SlackMessage
from approvals.executors.statuspage import StatuspageIncident

EXECUTORS: dict[tuple[str, str], type[Executor]] = {
    ("rollback", "github"): GitHubRollback,
    ("rollback", "argocd"): ArgoCDRollback,
    ("scale", "kubernetes"): KubernetesScale,
    ("restart", "kubernetes"): KubernetesRestart,
    ("status_update", "statuspage"): StatuspageIncident,
    ("flag_toggle", "launchdarkly"): LaunchDarklyFlagOff,
}

__all__ = [
    "EXECUTORS",
    "ArgoCDRollback",
    "ExecutionResult",
    "Executor",
    "ExecutorError",
    "GitHubIssue",
    "GitHubRollback",
    "JiraIssue",
    "KubernetesRestart",
    "KubernetesScale",
    "LaunchDarklyFlagOff",
    "OutboundRequest",
    "SlackMessage",
    "StatuspageIncident",
]
