"""Hand-made runs for the resolution and scorecard tests: a packet with chosen hypotheses, a
resolution time, and a confirmed cause written as the service would."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model

from incidentdesk.causes import Cause
from incidentdesk.models import ConfirmedCause, Evidence, Packet, Run
from incidentdesk.services.resolution import Impact, cause_confirm
from tests.views.builders import ONSET, run_create

MINUTE = timedelta(minutes=1)


def hypothesis(kind: str, ref: str | None = None, confidence: str = "high") -> dict:
    return {"kind": kind, "ref": ref, "confidence": confidence, "summary": f"{kind} {ref or ''}".strip(),
            "evidence": [], "against": []}


def packet_add(run: Run, *hypotheses: dict, complete: bool = True, after: timedelta | None = None) -> Packet:
    """A packet version holding `hypotheses`, built `after` the trigger."""
    version = run.packets.count() + 1
    packet = Packet.objects.create(
        run=run, version=version, content_hash=f"h{version}", text="Incident packet", complete=complete,
        data={"service": run.service.name if run.service else None, "hypotheses": list(hypotheses), "evidence": []},
    )
    if after is not None:
        Packet.objects.filter(pk=packet.pk).update(created_at=run.triggered_at + after)
    return packet


def dependency_seen(run: Run, service: str = "payments-gateway") -> None:
    """Evidence from another service, so the form offers it as a failing dependency."""
    Evidence.objects.create(run=run, source="logs", ref=f"{service}/1", service=service, observed_at=ONSET,
                            data={"ts": "2030-01-10T11:50:00Z", "service": service, "level": "error",
                                  "message": "pool exhausted", "attributes": {}})


def resolved_run(service: str = "checkout-api", *, resolved_at: datetime, hypotheses: tuple = (),
                 to_packet: timedelta | None = 4 * MINUTE, title: str = "",
                 triggered_before: timedelta = timedelta(hours=1)) -> Run:
    """A run resolved at `resolved_at`, whose complete packet came `to_packet` after the trigger."""
    run = run_create(service, title=title or f"{service} errors", triggered_at=resolved_at - triggered_before)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RESOLVED, resolved_at=resolved_at)
    if to_packet is not None:
        packet_add(run, *hypotheses, after=to_packet)
    run.refresh_from_db()
    return run


def confirm(run: Run, kind: str, ref: str = "", *, note: str = "") -> ConfirmedCause:
    """Confirm a cause through the service, as a member of the run's owning team."""
    member = get_user_model().objects.filter(groups=run.service.team.group).order_by("username").first()
    return cause_confirm(run=run, user=member, cause=Cause(kind, ref, f"{kind} {ref}".strip()),
                         impact=Impact(customers_affected=False), note=note)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def first_quarter_runs() -> dict[str, Run]:
    """Seven runs resolved in the first quarter of 2026, and some that must not count: two
    resolved just outside it, and an open one."""
    made = {
        # checkout-api (checkout-eng)
        "right": resolved_run(resolved_at=at(1, 10), hypotheses=(hypothesis("deploy", "d-1", "high"),),
                              to_packet=2 * MINUTE),
        "wrong_high": resolved_run(resolved_at=at(1, 20), hypotheses=(hypothesis("deploy", "d-2", "high"),),
                                   to_packet=6 * MINUTE),
        "wrong_medium": resolved_run(resolved_at=at(2, 5),
                                     hypotheses=(hypothesis("dependency", "payments-gateway", "medium"),),
                                     to_packet=4 * MINUTE),
        "stayed_unknown": resolved_run(resolved_at=at(2, 10), hypotheses=(hypothesis("unknown", None, "low"),),
                                       to_packet=10 * MINUTE),
        "unconfirmed": resolved_run(resolved_at=at(3, 1), hypotheses=(hypothesis("unknown", None, "low"),),
                                    to_packet=None),
        # payments-gateway (payments-core)
        "capacity_right": resolved_run("payments-gateway", resolved_at=at(3, 15), to_packet=3 * MINUTE,
                                       hypotheses=(hypothesis("capacity", "ledger-db", "high"),)),
        "found_after_unknown": resolved_run("payments-gateway", resolved_at=at(2, 20), to_packet=8 * MINUTE),
        # outside the period, or not resolved
        "before": resolved_run(resolved_at=datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
                               hypotheses=(hypothesis("deploy", "d-0", "high"),)),
        "after": resolved_run(resolved_at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC),
                              hypotheses=(hypothesis("deploy", "d-5", "high"),)),
        "open": run_create(triggered_at=at(2, 1)),
    }
    confirm(made["right"], "deploy", "d-1")
    confirm(made["wrong_high"], "feature_flag", "f-1")
    confirm(made["wrong_medium"], "dependency", "ledger-db")
    confirm(made["stayed_unknown"], "unknown")
    confirm(made["capacity_right"], "capacity", "payments-gateway")
    confirm(made["found_after_unknown"], "deploy", "d-9")
    confirm(made["before"], "feature_flag", "f-0")
    confirm(made["after"], "feature_flag", "f-5")
    return made
