"""Jira: an incident ticket as an issue, when JIRA_URL and JIRA_TOKEN are set."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest


class JiraIssue(Executor):
    """POST /rest/api/2/issue with a personal access token (Bearer)."""

    vendor = "jira"
    credentials = ("JIRA_URL", "JIRA_TOKEN")
    secret_names = ("JIRA_TOKEN",)

    def create(self, *, title: str, body: str, labels: list[str]) -> ExecutionResult:
        project = self.env("JIRA_PROJECT", "INC")
        base = (self.env("JIRA_URL") or "${JIRA_URL}").rstrip("/")
        fields = {
            "project": {"key": project},
            "issuetype": {"name": self.env("JIRA_ISSUE_TYPE", "Task")},
            "summary": title[:250],
            "description": body,
            "labels": labels,
        }
        headers = {
            "Authorization": f"Bearer {self.secret('JIRA_TOKEN')}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        response = self.send(
            OutboundRequest("POST", f"{base}/rest/api/2/issue", headers, {"fields": fields}, self.secrets()),
            expect=(201,),
        )
        if response is None:
            return self.recorded(f"would open a {project} issue")
        data = self.json(response)
        if not isinstance(data, dict) or not data.get("key"):
            raise ExecutorError("malformed", "the issue answer has no key", requests=list(self.sent))
        return self.done(
            f"opened {data['key']}",
            response,
            external_id=str(data["key"]),
            url=f"{base}/browse/{data['key']}",
            answer={"id": data.get("id"), "key": data["key"]},
        )
