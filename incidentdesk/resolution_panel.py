"""What the run page shows of a run's resolution, and the causes a responder may confirm.

The run page's card costs one query beyond the page (who may confirm); the causes offered are
read only when the form is opened.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

from incidentdesk.causes import Cause, EvidenceRecord, Verdict, evidence_causes, hypothesis_cause
from incidentdesk.membership import run_owning_teams, user_may_confirm_cause
from incidentdesk.models import ConfirmedCause, Evidence, Packet, Run

UNKNOWN = Cause("unknown", "", "Not known")
# Evidence that names a cause by itself; other sources only tell which services were seen.
CAUSE_SOURCES = ("deploys", "feature_flags", "change_calendar")
MAX_EVIDENCE_CAUSES = 200


@dataclass(frozen=True)
class DeskHypothesis:
    cause: Cause
    confidence: str


@dataclass(frozen=True)
class CauseOptions:
    """The causes offered: the packet's hypotheses (best first), the rest of the run's evidence,
    and "unknown". An external cause is named by the responder."""

    packet: Packet | None
    hypotheses: list[DeskHypothesis] = field(default_factory=list)
    from_evidence: list[Cause] = field(default_factory=list)

    @property
    def picks(self) -> list[DeskHypothesis]:
        """The hypotheses that name a cause; "not known" has a button of its own."""
        return [h for h in self.hypotheses if not h.cause.is_unknown]

    @property
    def all(self) -> list[Cause]:
        return [h.cause for h in self.picks] + self.from_evidence + [UNKNOWN]


def run_confirmed_cause(run: Run) -> ConfirmedCause | None:
    """The run's confirmed cause, None when nobody confirmed one (read once, or from select_related)."""
    try:
        return run.confirmed_cause
    except ObjectDoesNotExist:
        return None


def packet_hypotheses(packet: Packet | None) -> list[DeskHypothesis]:
    items = (packet.data.get("hypotheses") if packet and isinstance(packet.data, dict) else None) or []
    return [
        DeskHypothesis(hypothesis_cause(h), str(h.get("confidence") or ""))
        for h in items if isinstance(h, dict)
    ]


def cause_options(*, run: Run) -> CauseOptions:
    packet = run.packets.order_by("-version").first()
    hypotheses = packet_hypotheses(packet)
    rows = (
        Evidence.objects.filter(run=run)
        .filter(Q(source__in=CAUSE_SOURCES) | Q(source="metrics", data__name="saturation"))
        .order_by("source", "observed_at", "pk")
        .values_list("pk", "source", "service", "data")[:MAX_EVIDENCE_CAUSES]
    )
    records = [EvidenceRecord(f"E{pk}", source, service, data) for pk, source, service, data in rows]
    seen = Evidence.objects.filter(run=run).exclude(service="").values_list("service", flat=True).distinct()
    records += [EvidenceRecord("", "", name, {}) for name in seen.order_by("service")]
    offered = {h.cause.key for h in hypotheses}
    from_evidence = [c for c in evidence_causes(records, service=run.service.name if run.service else "")
                     if c.key not in offered]
    return CauseOptions(packet=packet, hypotheses=hypotheses, from_evidence=from_evidence)


@dataclass(frozen=True)
class ResolutionPanel:
    run: Run
    confirmed: ConfirmedCause | None
    desk_first: DeskHypothesis | None
    may_confirm: bool
    owning_teams: list[str]

    @property
    def verdict(self) -> Verdict | None:
        return self.confirmed.verdict if self.confirmed else None


def resolution_panel_build(*, run: Run, user, packet: Packet | None) -> ResolutionPanel:
    """The run page's resolution card; `packet` is the run's latest. Once a cause is confirmed,
    the desk's first hypothesis is the one it was judged against, from the version it was judged on."""
    confirmed = run_confirmed_cause(run)
    if confirmed is not None:
        desk_first = DeskHypothesis(confirmed.desk_cause, confirmed.desk_confidence) if confirmed.desk_cause else None
    else:
        desk_first = next(iter(packet_hypotheses(packet)), None)
    return ResolutionPanel(
        run=run, confirmed=confirmed, desk_first=desk_first,
        may_confirm=user_may_confirm_cause(user, run),
        owning_teams=[t.label for t in run_owning_teams(run)],
    )
