"""Runs and packets for the approval tests, written directly so each test says exactly what the packet lists."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from approvals.executors import ExecutionResult
from incidentdesk.models import Evidence, Packet, Run, Service

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
SHA_BAD = "b" * 40
SHA_GOOD = "a" * 40


def run_create(
    service_name: str = "checkout-api",
    *,
    severity: str = "sev2",
    title: str = "checkout errors",
    links: list | None = None,
) -> Run:
    service = Service.objects.select_related("team").get(name=service_name)
    run = Run.objects.create(
        title=title,
        service=service,
        trigger_source="datadog",
        triggered_at=NOW,
        first_seen_at=NOW,
        last_event_at=NOW,
        severity=severity,
        current_owner_team=service.team,
        collection=Run.Collection.DONE,
        links=links if links is not None else ["https://app.datadoghq.com/monitors/42"],
    )
    Evidence.objects.create(
        run=run,
        source="deploys",
        ref="d-77",
        service=service_name,
        observed_at=NOW - timedelta(minutes=5),
        url="https://github.com/acme/checkout/deployments/77",
        data={
            "id": "d-77",
            "service": service_name,
            "environment": "production",
            "sha": SHA_BAD,
            "previous_sha": SHA_GOOD,
            "status": "success",
            "author": "abe",
            "pull_request": None,
        },
    )
    return run


def rollback_item(*, safe: bool = True, reason: str = "code-only change to checkout-api") -> dict:
    return {"action": "rollback", "target": "d-77", "safe": safe, "reason": reason}


def packet_add(run: Run, approvals: list[dict], *, severity: str = "sev2", risky: bool = False) -> Packet:
    latest = run.packets.order_by("-version").first()
    data = {
        "format": "incidentdesk.packet/v1",
        "run_id": str(run.pk),
        "service": run.service.name,
        "severity": severity,
        "requires_approval": approvals,
        "allowed_actions": [
            {"action": "post_summary", "done": False},
            {"action": "create_ticket", "done": False},
        ],
        "data_risk": {"flagged": risky, "reason": "emails in logs" if risky else ""},
        "hypotheses": [
            {
                "kind": "deploy",
                "ref": "d-77",
                "confidence": "high",
                "summary": "deploy d-77 broke it",
                "evidence": ["E1"],
                "against": [],
            }
        ],
        "evidence": [
            {
                "id": "E1",
                "source": "deploys",
                "ref": "d-77",
                "summary": "deploy",
                "url": "https://github.com/acme/checkout/deployments/77",
                "observed_at": None,
            }
        ],
        "text": f"Incident packet\nService: {run.service.name}\nSeverity: {severity}",
    }
    content_hash = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return Packet.objects.create(
        run=run,
        version=(latest.version + 1) if latest else 1,
        content_hash=content_hash,
        data=data,
        text=data["text"],
        complete=True,
    )


class FakeExecutor:
    """Counts calls; stands in for a vendor in the service tests (the executors have their own tests)."""

    def __init__(self, calls: list, *, delay: float = 0.0) -> None:
        self.calls = calls
        self.delay = delay
        self.dry_run = False

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        import time

        self.calls.append((dict(params), key))
        if self.delay:
            time.sleep(self.delay)
        return ExecutionResult(ok=True, dry_run=False, summary="done", requests=[{"method": "POST"}])
