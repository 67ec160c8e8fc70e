"""GitHub: a rollback through a `workflow_dispatch` workflow, and incident tickets as issues."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_API_URL = "https://api.github.com"


class _GitHub(Executor):
    vendor = "github"
    credentials = ("GITHUB_TOKEN",)
    secret_names = ("GITHUB_TOKEN",)

    @property
    def api_url(self) -> str:
        return self.env("GITHUB_API_URL", DEFAULT_API_URL).rstrip("/")

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret('GITHUB_TOKEN')}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        }


class GitHubRollback(_GitHub):
    """Dispatch the repository's rollback workflow with the commit to go back to.

    The workflow declares `on: workflow_dispatch` with string inputs `target_sha` and
    `environment`. When ROLLBACK_REQUEST_ID_INPUT names a third input, the proposal's
    idempotency key is sent in it, so the workflow can refuse a second run of the same
    request (for instance with `concurrency: rollback-${{ inputs.request_id }}`).
    """

    idempotency = "workflow input named by ROLLBACK_REQUEST_ID_INPUT (opt-in)"

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        repo, workflow = params.get("repo"), params.get("workflow")
        if not repo or not params.get("target_sha"):
            raise ExecutorError(
                "error", "the rollback names no repository or no commit to go back to", refused=True
            )
        inputs = {
            "target_sha": str(params["target_sha"]),
            "environment": str(params.get("environment") or ""),
        }
        id_input = self.env("ROLLBACK_REQUEST_ID_INPUT")
        if id_input:
            inputs[id_input] = key
        outbound = OutboundRequest(
            "POST",
            f"{self.api_url}/repos/{repo}/actions/workflows/{workflow}/dispatches",
            self.headers(),
            {"ref": str(params.get("ref") or "main"), "inputs": inputs},
            self.secrets(),
        )
        what = (
            f"{workflow} on {repo}@{params.get('ref')} to {params['target_sha']} in {inputs['environment']}"
        )
        response = self.send(outbound, expect=(204, 200))
        if response is None:
            return self.recorded(f"would dispatch {what}")
        return self.done(
            f"dispatched {what}", response, url=f"https://github.com/{repo}/actions/workflows/{workflow}"
        )


class GitHubIssue(_GitHub):
    """An incident ticket as a GitHub issue in the service's repository."""

    def create(self, *, repo: str, title: str, body: str, labels: list[str]) -> ExecutionResult:
        outbound = OutboundRequest(
            "POST",
            f"{self.api_url}/repos/{repo}/issues",
            self.headers(),
            {"title": title, "body": body, "labels": labels},
            self.secrets(),
        )
        response = self.send(outbound, expect=(201,))
        if response is None:
            return self.recorded(f"would open an issue in {repo}")
        data = self.json(response)
        if not isinstance(data, dict) or "number" not in data:
            raise ExecutorError("malformed", "the issue answer has no number", requests=list(self.sent))
        return self.done(
            f"opened issue #{data['number']} in {repo}",
            response,
            external_id=str(data["number"]),
            url=str(data.get("html_url") or ""),
            answer={"number": data["number"], "html_url": data.get("html_url")},
        )
