"""Action executors: one module per vendor; the only code that changes anything outside the desk.

Only `approvals.services` calls them; `approvals.actions` says which executor carries out which action.
"""

from approvals.executors.argocd import ArgoCDRollback
from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest
from approvals.executors.github import GitHubIssue, GitHubRollback
from approvals.executors.jira import JiraIssue
from approvals.executors.kubernetes import KubernetesRestart, KubernetesScale
from approvals.executors.launchdarkly import LaunchDarklyFlagOff
from approvals.executors.slack import SlackMessage
from approvals.executors.statuspage import StatuspageIncident

__all__ = [
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
