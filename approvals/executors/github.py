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
        page = f"https://github.com/{repo}/actions/workflows/{workflow}"
        try:
            response = self.send(outbound, resend=False, expect=(204, 200))
        except ExecutorError as exc:
            return self.settle(
                exc,
                find=lambda: self._find_run(repo, workflow, key if id_input else "", what),
                check=f"the runs of {page}",
            )
        if response is None:
            return self.recorded(f"would dispatch {what}")
        return self.done(f"dispatched {what}", response, url=page)

    def _find_run(self, repo: str, workflow: str, key: str, what: str) -> ExecutionResult | None:
        """The dispatched run whose title carries the request key (the workflow's `run-name`
        must show the request id input); without the key a run cannot be told apart."""
        if not key:
            return None
        found = self.read(
            f"{self.api_url}/repos/{repo}/actions/workflows/{workflow}/runs?event=workflow_dispatch&per_page=30",
            self.headers(),
        )
        runs = found.get("workflow_runs") if isinstance(found, dict) else None
        if not isinstance(runs, list):
            raise ExecutorError("malformed", "the workflow runs answer has no list", requests=list(self.sent))
        for run in runs:
            title = (
                f"{run.get('display_title') or ''} {run.get('name') or ''}" if isinstance(run, dict) else ""
            )
            if key in title and self.since_start(run.get("created_at")):
                return self.done(
                    f"dispatched {what} (run {run.get('id')})", url=str(run.get("html_url") or "")
                )
        return None


class GitHubIssue(_GitHub):
    """An incident ticket as a GitHub issue in the service's repository.

    The body ends with an HTML comment carrying the request key (invisible on GitHub); an
    unanswered create is looked up among the repository's newest issues by that marker.
    """

    idempotency = "none: sent once; an unanswered create is looked up by the marker in its body"

    def create(
        self, *, repo: str, title: str, body: str, labels: list[str], key: str = ""
    ) -> ExecutionResult:
        marker = f"<!-- incident-desk request {key} -->" if key else ""
        outbound = OutboundRequest(
            "POST",
            f"{self.api_url}/repos/{repo}/issues",
            self.headers(),
            {"title": title, "body": f"{body}\n\n{marker}" if marker else body, "labels": labels},
            self.secrets(),
        )
        try:
            response = self.send(outbound, resend=False, expect=(201,))
        except ExecutorError as exc:
            return self.settle(
                exc, find=lambda: self._find(repo, marker), check=f"https://github.com/{repo}/issues"
            )
        if response is None:
            return self.recorded(f"would open an issue in {repo}")
        return self._opened(repo, self.json(response), response)

    def _find(self, repo: str, marker: str) -> ExecutionResult | None:
        if not marker:
            return None
        issues = self.read(
            f"{self.api_url}/repos/{repo}/issues?state=all&sort=created&direction=desc&per_page=30",
            self.headers(),
        )
        if not isinstance(issues, list):
            raise ExecutorError("malformed", "the issues answer is not a list", requests=list(self.sent))
        for issue in issues:
            if isinstance(issue, dict) and marker in str(issue.get("body") or ""):
                return self._opened(repo, issue)
        return None

    def _opened(self, repo: str, data, response=None) -> ExecutionResult:
        if not isinstance(data, dict) or "number" not in data:
            raise ExecutorError("malformed", "the issue answer has no number", requests=list(self.sent))
        return self.done(
            f"opened issue #{data['number']} in {repo}",
            response,
            external_id=str(data["number"]),
            url=str(data.get("html_url") or ""),
            answer={"number": data["number"], "html_url": data.get("html_url")},
        )
