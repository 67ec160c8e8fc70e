"""A resolved incident with everything a postmortem tells, written through the desk's own services
at fixed times: a trigger, a failed source, two packet versions, a rollback proposed, approved and
run, the packet posted, a ticket opened, then the run resolved with its cause confirmed."""

from datetime import UTC, datetime, timedelta

from approvals.executors import ExecutionResult
from approvals.models import ActionProposal
from approvals.services import proposal_approve, proposal_execute
from approvals.services.outbound import summary_post, ticket_create
from approvals.services.proposals import proposals_sync
from incidentdesk import clock
from incidentdesk.causes import Cause
from incidentdesk.models import Evidence, Packet, Run, RunEvent, Trigger
from incidentdesk.services.resolution import Impact, cause_confirm
from tests.approvals.builders import FakeExecutor
from tests.views.builders import collections_create, evidence_add, run_create

T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)  # the trigger; the symptom began at 11:50
TICKET_URL = "https://github.com/acme/checkout/issues/12"
PR_URL = "https://github.com/acme/checkout/pull/4821"
NOTE = "Rolled back d-77; the parser fix follows in PR 4822."


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class FakeIssuer:
    """Opens the ticket without a vendor."""

    def create(self, *, repo: str, title: str, body: str, labels: list[str],
               key: str = "") -> ExecutionResult:
        return ExecutionResult(ok=True, dry_run=False, summary=f"opened {repo}#12", external_id="12",
                               url=TICKET_URL)


def trigger_add(run: Run, *, title: str, link: str, minutes: float = 0, kind: str = "trigger") -> RunEvent:
    trigger = Trigger.objects.create(source="datadog", body=b"{}", http_status=202,
                                     status=Trigger.Status.PROCESSED, received_at=at(minutes))
    return RunEvent.objects.create(run=run, trigger=trigger, index=0, kind=kind, title=title,
                                   occurred_at=at(minutes),
                                   facts={"source": "datadog", "link": link, "severity": "sev2"})


def _eid(run: Run, source: str, ref: str) -> str:
    return Evidence.objects.get(run=run, source=source, ref=ref).public_id


def packet_data(run: Run, *, complete: bool) -> dict:
    """v1 (sources still answering) knows nothing yet; v2 blames deploy d-77 through PR 4821."""
    deploy, pr = _eid(run, "deploys", "d-77"), _eid(run, "pull_requests", "4821")
    errors = _eid(run, "metrics", "checkout-api/error_rate/datadog")
    evidence = [
        {"id": deploy, "source": "deploys", "ref": "d-77", "summary": "Deploy d-77 of checkout-api (success)",
         "url": "https://github.com/acme/checkout/deployments/77", "observed_at": "2030-01-10T11:49:00Z"},
        {"id": pr, "source": "pull_requests", "ref": "4821",
         "summary": "PR 4821 Faster cart parser: cart/parse.py", "url": PR_URL,
         "observed_at": "2030-01-10T11:20:00Z"},
        {"id": errors, "source": "metrics", "ref": "checkout-api/error_rate/datadog",
         "summary": "checkout-api error_rate (datadog, 70 points)", "url": None,
         "observed_at": "2030-01-10T12:09:00Z"},
    ]
    if not complete:
        hypotheses = [{"kind": "unknown", "ref": None, "confidence": "low", "summary": "Not known yet",
                       "evidence": [], "against": []}]
    else:
        hypotheses = [
            {"kind": "deploy", "ref": "d-77", "confidence": "high",
             "summary": "Deploy d-77 broke the cart parser", "evidence": [deploy, pr], "against": [],
             "chain": [
                 {"text": "Deploy d-77 shipped PR 4821, which rewrote cart/parse.py",
                  "evidence": [deploy, pr]},
                 {"text": "checkout-api errors rose a minute after it finished", "evidence": [errors]},
             ]},
            {"kind": "feature_flag", "ref": "fast-cart", "confidence": "low",
             "summary": "Flag fast-cart switched 20 min before the onset", "evidence": [], "against": []},
        ]
    return {
        "format": "incidentdesk.packet/v1", "run_id": str(run.pk), "service": "checkout-api",
        "severity": "sev2", "severity_basis": "sev2: tier-1 service error rate 8.7% >= 5% (baseline 0.3%)",
        "first_seen": "2030-01-10T11:50:00Z",
        "signals": [{"text": "Error rate rose from 0.3% to 8.7%", "evidence": [errors]}],
        "hypotheses": hypotheses,
        "requires_approval": [{"action": "rollback", "target": "d-77", "safe": True,
                               "reason": "code-only change to checkout-api"}] if complete else [],
        "gaps": [{"source": "logs", "reason": "timeout"}],
        "data_risk": {"flagged": False, "reason": ""},
        "evidence": evidence,
        "text": "Incident packet",
    }


def packet_store(run: Run, *, version: int, complete: bool, minutes: float) -> Packet:
    data = packet_data(run, complete=complete)
    return Packet.objects.create(run=run, version=version, content_hash=f"pm{version}", data=data,
                                 text=data["text"], complete=complete, created_at=at(minutes))


def collection_record(run: Run) -> None:
    """Every source read between 12:00:30 and 12:03; logs timed out."""
    collections_create(run, failed={"logs": "timeout"})
    run.collections.update(started_at=at(0.5), finished_at=at(2.5), item_count=1)
    run.collections.filter(source="logs").update(finished_at=at(2), item_count=0)
    Run.objects.filter(pk=run.pk).update(collection_started_at=at(0.5), collection_finished_at=at(3))
    run.refresh_from_db()


def incident_with_actions(*, approver, responder, title: str = "checkout-api error rate above 5%",
                          trigger_link: str = "https://app.datadoghq.com/monitors/42",
                          comment: str = "roll it back") -> Run:
    """The run still open, its collection over: everything up to the ticket."""
    run = run_create(title=title, triggered_at=T0)
    evidence_add(run)
    Evidence.objects.create(run=run, source="pull_requests", ref="4821", service="checkout-api", url=PR_URL,
                            observed_at=at(-40), data={"number": 4821, "repo": "acme/checkout",
                                                       "title": "Faster cart parser", "author": "abe"})
    trigger_add(run, title=title, link=trigger_link)
    collection_record(run)
    packet_store(run, version=1, complete=False, minutes=1)
    latest = packet_store(run, version=2, complete=True, minutes=3)
    with clock.frozen_at(at(3)):
        proposals_sync(run=run, packet=latest)
    with clock.frozen_at(at(4)):
        summary_post(run=run)
    proposal = ActionProposal.objects.get(run=run, action="rollback")
    with clock.frozen_at(at(10)):
        proposal_approve(proposal=proposal, user=approver, comment=comment)
    with clock.frozen_at(at(11)):
        proposal_execute(proposal_id=proposal.pk, executor_factory=lambda p: FakeExecutor([]))
    with clock.frozen_at(at(12)):
        ticket_create(run=run, actor=responder.get_username(), issuer=FakeIssuer())
    run.refresh_from_db()
    return run


def resolved_incident(*, approver, responder, note: str = NOTE, **kwargs) -> Run:
    """The incident resolved at 12:40 by `responder`, confirming deploy d-77 with 25 min of impact."""
    run = incident_with_actions(approver=approver, responder=responder, **kwargs)
    with clock.frozen_at(at(40)):
        cause_confirm(run=run, user=responder, cause=Cause("deploy", "d-77", "Deploy d-77 of checkout-api"),
                      impact=Impact(customers_affected=True, minutes=25), note=note)
    run.refresh_from_db()
    return run

