"""Jira: an incident ticket as an issue, when JIRA_URL and JIRA_TOKEN are set."""

from __future__ import annotations

from urllib.parse import quote

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest


class JiraIssue(Executor):
    """POST /rest/api/2/issue with a personal access token (Bearer), as Jira Data Center takes it.

    The issue carries the label `incident-desk-<request key>`; when the create is not answered,
    a JQL search for that label finds it rather than a second create.
    """

    vendor = "jira"
    credentials = ("JIRA_URL", "JIRA_TOKEN")
    secret_names = ("JIRA_TOKEN",)
    idempotency = "none: sent once; an unanswered create is searched for by its request label"

    def create(self, *, title: str, body: str, labels: list[str], key: str = "") -> ExecutionResult:
        project = self.env("JIRA_PROJECT", "INC")
        base = (self.env("JIRA_URL") or "${JIRA_URL}").rstrip("/")
        fields = {
            "project": {"key": project},
            "issuetype": {"name": self.env("JIRA_ISSUE_TYPE", "Task")},
            "summary": title[:250],
            "description": body,
            "labels": [*labels, *([request_label(key)] if key else [])],
        }
        headers = {
            "Authorization": f"Bearer {self.secret('JIRA_TOKEN')}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        create = OutboundRequest(
            "POST", f"{base}/rest/api/2/issue", headers, {"fields": fields}, self.secrets()
        )
        try:
            response = self.send(create, resend=False, expect=(201,))
        except ExecutorError as exc:
            return self.settle(
                exc,
                find=lambda: self._find(base, headers, key),
                check=f"{base}/issues/?jql=" + quote(f"project = {project} ORDER BY created DESC"),
            )
        if response is None:
            return self.recorded(f"would open a {project} issue")
        return self._opened(base, self.json(response), response)

    def _opened(self, base: str, data, response=None) -> ExecutionResult:
        if not isinstance(data, dict) or not data.get("key"):
            raise ExecutorError("malformed", "the issue answer has no key", requests=list(self.sent))
        return self.done(
            f"opened {data['key']}",
            response,
            external_id=str(data["key"]),
            url=f"{base}/browse/{data['key']}",
            answer={"id": data.get("id"), "key": data["key"]},
        )

    def _find(self, base: str, headers: dict[str, str], key: str) -> ExecutionResult | None:
        if not key:
            return None
        jql = quote(f'labels = "{request_label(key)}"')
        found = self.read(f"{base}/rest/api/2/search?jql={jql}&fields=summary&maxResults=1", headers)
        issues = found.get("issues") if isinstance(found, dict) else None
        if not isinstance(issues, list):
            raise ExecutorError("malformed", "the search answer has no issues", requests=list(self.sent))
        return self._opened(base, issues[0]) if issues else None


def request_label(key: str) -> str:
    return f"incident-desk-{key}"
