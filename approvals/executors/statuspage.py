"""Atlassian Statuspage: open a customer-facing incident."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_API_URL = "https://api.statuspage.io"


class StatuspageIncident(Executor):
    """POST /v1/pages/{page}/incidents with `Authorization: OAuth <key>`.

    Statuspage rate-limits with 420 (and sometimes 429) plus Retry-After; collectors.http treats
    both as transient and waits. It takes no idempotency key, so a retried task never resends:
    the proposal's state allows one execution.
    """

    vendor = "statuspage"
    credentials = ("STATUSPAGE_API_KEY", "STATUSPAGE_PAGE_ID")
    secret_names = ("STATUSPAGE_API_KEY",)

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        if not params.get("name") or not params.get("body"):
            raise ExecutorError("error", "the status update has no title or message", refused=True)
        page = self.env("STATUSPAGE_PAGE_ID") or "${STATUSPAGE_PAGE_ID}"
        incident = {
            "name": params["name"],
            "status": params.get("status") or "investigating",
            "impact_override": params.get("impact") or "minor",
            "body": params["body"],
            "deliver_notifications": bool(params.get("deliver_notifications", True)),
        }
        if params.get("component_id"):
            incident["component_ids"] = [params["component_id"]]
            incident["components"] = {
                params["component_id"]: params.get("component_status") or "partial_outage"
            }
        headers = {
            "Authorization": f"OAuth {self.secret('STATUSPAGE_API_KEY')}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        base = self.env("STATUSPAGE_API_URL", DEFAULT_API_URL).rstrip("/")
        response = self.send(
            OutboundRequest(
                "POST", f"{base}/v1/pages/{page}/incidents", headers, {"incident": incident}, self.secrets()
            ),
            expect=(201, 200),
        )
        if response is None:
            return self.recorded(f'would open status page incident "{params["name"]}"')
        data = self.json(response)
        if not isinstance(data, dict) or not data.get("id"):
            raise ExecutorError("malformed", "the incident answer has no id", requests=list(self.sent))
        return self.done(
            f"opened status page incident {data['id']}",
            response,
            external_id=str(data["id"]),
            url=str(data.get("shortlink") or ""),
            answer={"id": data["id"], "status": data.get("status"), "impact": data.get("impact")},
        )
