"""Atlassian Statuspage: open a customer-facing incident."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_API_URL = "https://api.statuspage.io"


class StatuspageIncident(Executor):
    """POST /v1/pages/{page}/incidents with `Authorization: OAuth <key>`.

    Statuspage rate-limits with 420 (and sometimes 429) plus Retry-After; incidentdesk.http waits
    and resends those, since the vendor did nothing. It takes no idempotency key, so the POST is
    never resent after it may have arrived: the desk looks for an unresolved incident of the
    same name opened since the request instead, and otherwise reports the outcome unknown.
    """

    vendor = "statuspage"
    credentials = ("STATUSPAGE_API_KEY", "STATUSPAGE_PAGE_ID")
    secret_names = ("STATUSPAGE_API_KEY",)
    idempotency = "none: sent once; an unanswered request is looked up among unresolved incidents"

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
        create = OutboundRequest(
            "POST", f"{base}/v1/pages/{page}/incidents", headers, {"incident": incident}, self.secrets()
        )
        try:
            response = self.send(create, resend=False, expect=(201, 200))
        except ExecutorError as exc:
            return self.settle(
                exc,
                find=lambda: self._find(
                    f"{base}/v1/pages/{page}/incidents/unresolved", headers, params["name"]
                ),
                check=f"https://manage.statuspage.io/pages/{page}/incidents",
            )
        if response is None:
            return self.recorded(f'would open status page incident "{params["name"]}"')
        return self._opened(self.json(response), response)

    def _opened(self, data, response=None) -> ExecutionResult:
        if not isinstance(data, dict) or not data.get("id"):
            raise ExecutorError("malformed", "the incident answer has no id", requests=list(self.sent))
        return self.done(
            f"opened status page incident {data['id']}",
            response,
            external_id=str(data["id"]),
            url=str(data.get("shortlink") or ""),
            answer={"id": data["id"], "status": data.get("status"), "impact": data.get("impact")},
        )

    def _find(self, url: str, headers: dict[str, str], name: str) -> ExecutionResult | None:
        """The unresolved incident of this name opened since the request was sent, if any."""
        incidents = self.read(url, headers)
        if not isinstance(incidents, list):
            raise ExecutorError(
                "malformed", "the unresolved incidents are not a list", requests=list(self.sent)
            )
        for incident in incidents:
            if (
                isinstance(incident, dict)
                and incident.get("name") == name
                and self.since_start(incident.get("created_at"))
            ):
                return self._opened(incident)
        return None
