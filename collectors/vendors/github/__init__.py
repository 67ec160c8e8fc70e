"""GitHub REST reads: production deployments, and the changes they shipped (pull requests or compares)."""

from collectors.vendors.github.deploys import GitHubDeploys, _outcome
from collectors.vendors.github.pulls import GitHubPullRequests

__all__ = ["GitHubDeploys", "GitHubPullRequests", "_outcome"]
