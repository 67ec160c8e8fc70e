"""What the run page shows, assembled from the run's latest packet and stored evidence.

A fixed number of queries whatever the amount of evidence: the packet, the source states,
the evidence drawn on the timeline, and (on a full page) the similar past runs.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.safestring import SafeString, mark_safe

from incidentdesk.action_labels import action_label
from incidentdesk.analysis.render import team_label
from incidentdesk.analysis.timeutil import parse_time
from incidentdesk.causes import Cause
from incidentdesk.links import safe_href
from incidentdesk.models import Evidence, Packet, Run, SourceCollection
from incidentdesk.run_triggers import TriggerView, run_triggers
from incidentdesk.similar import SimilarRun, runs_similar
from incidentdesk.timeline import MARKER_SOURCES, NARROW_WIDTH, Timeline, timeline_build, timeline_svg

TIMELINE_SOURCES = ("metrics", *MARKER_SOURCES)
# Enough for every series and change around one incident; the page never reads all evidence.
TIMELINE_MAX_ROWS = 400


@dataclass(frozen=True)
class EvidenceView:
    id: str
    source: str
    ref: str
    summary: str
    url: str
    observed_at: datetime | None


@dataclass(frozen=True)
class Claim:
    text: str
    evidence: tuple[EvidenceView, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hypothesis:
    kind: str
    ref: str
    confidence: str
    summary: str
    evidence: tuple[EvidenceView, ...] = ()
    against: tuple[EvidenceView, ...] = ()
    against_reasons: tuple[str, ...] = ()
    chain: tuple[Claim, ...] = ()  # change -> component -> symptom, each link with its evidence


@dataclass(frozen=True)
class Approval:
    action: str
    label: str
    target: str
    safe: bool
    reason: str


@dataclass
class RunPage:
    run: Run
    packet: Packet | None
    collections: list[SourceCollection]
    service: str = ""
    severity: str = ""
    severity_basis: str = ""
    first_seen: datetime | None = None
    owner_team: str = ""
    owner_oncall: str = ""
    owner_basis: str = ""
    signals: list[Claim] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    next_actions: list[Claim] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    conflicts: list[Claim] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    data_risk: dict = field(default_factory=dict)
    evidence: list[EvidenceView] = field(default_factory=list)
    timeline: Timeline | None = None
    timeline_svg: SafeString | str = ""
    timeline_svg_narrow: SafeString | str = ""  # the same timeline drawn for a phone
    similar: list[SimilarRun] = field(default_factory=list)
    triggers: list[TriggerView] = field(default_factory=list)

    @property
    def sources_finished(self) -> int:
        return sum(1 for c in self.collections if c.finished)

    @property
    def top_cause(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None


def _evidence_views(data: dict) -> dict[str, EvidenceView]:
    views = {}
    for item in data.get("evidence") or []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        views[str(item["id"])] = EvidenceView(
            id=str(item["id"]), source=str(item.get("source") or ""), ref=str(item.get("ref") or ""),
            summary=str(item.get("summary") or ""), url=safe_href(item.get("url")),
            observed_at=parse_time(item.get("observed_at")),
        )
    return views


def _claims(items, views: dict[str, EvidenceView]) -> list[Claim]:
    claims = []
    for item in items or []:
        ids = [str(i) for i in item.get("evidence") or []]
        claims.append(Claim(text=str(item.get("text") or ""), evidence=tuple(views[i] for i in ids if i in views),
                            missing=tuple(i for i in ids if i not in views)))
    return claims


def _fill_from_packet(page: RunPage, data: dict) -> None:
    views = _evidence_views(data)
    owner = data.get("owner") or {}
    page.service = str(data.get("service") or "")
    page.severity = str(data.get("severity") or "")
    page.severity_basis = str(data.get("severity_basis") or "")
    page.first_seen = parse_time(data.get("first_seen"))
    page.owner_team = team_label(owner.get("team")) if owner.get("team") else ""
    page.owner_oncall = str(owner.get("oncall") or "")
    page.owner_basis = str(owner.get("basis") or "")
    page.signals = _claims(data.get("signals"), views)
    page.next_actions = _claims(data.get("next_actions"), views)
    page.conflicts = _claims(data.get("conflicts"), views)
    page.hypotheses = [
        Hypothesis(
            kind=str(h.get("kind") or ""), ref=str(h.get("ref") or ""), confidence=str(h.get("confidence") or ""),
            summary=str(h.get("summary") or ""),
            evidence=tuple(views[str(i)] for i in h.get("evidence") or [] if str(i) in views),
            against=tuple(views[str(i)] for i in h.get("against") or [] if str(i) in views),
            against_reasons=tuple(str(r) for r in h.get("against_reasons") or []),
            chain=tuple(_claims(h.get("chain"), views)),
        )
        for h in data.get("hypotheses") or []
    ]
    page.approvals = [
        Approval(action=str(a.get("action") or ""), label=action_label(a.get("action")),
                 target=str(a.get("target") or ""), safe=bool(a.get("safe", True)), reason=str(a.get("reason") or ""))
        for a in data.get("requires_approval") or []
    ]
    page.gaps = [
        {"source": str(g.get("source") or ""), "reason": str(g.get("reason") or "unknown").replace("_", " ")}
        for g in data.get("gaps") or [] if isinstance(g, dict)
    ]
    page.data_risk = data.get("data_risk") or {}
    page.evidence = sorted(views.values(), key=lambda e: (e.source, e.id))


def _timeline(run: Run, onset: datetime | None, service: str) -> Timeline:
    rows = (
        Evidence.objects.filter(run=run, source__in=TIMELINE_SOURCES)
        .order_by("source", "observed_at", "pk")
        .values_list("source", "pk", "data")[:TIMELINE_MAX_ROWS]
    )
    records = [(source, f"E{pk}", data) for source, pk, data in rows]
    return timeline_build(records, service=service or None, onset=onset)


def run_page_build(*, run: Run, visible_runs=None, with_history: bool = True) -> RunPage:
    """The run page's content. `visible_runs` (the user's runs) feeds the similar past incidents."""
    packet = run.packets.order_by("-version").first()
    page = RunPage(run=run, packet=packet, collections=list(run.collections.all()))
    if packet is not None and isinstance(packet.data, dict):
        _fill_from_packet(page, packet.data)
    page.service = page.service or (run.service.name if run.service else "")
    page.severity = page.severity or run.severity
    onset = page.first_seen or run.first_seen_at
    page.timeline = _timeline(run, onset, page.service)
    page.triggers = run_triggers(run)
    # Every piece of text inside is escaped.
    page.timeline_svg = mark_safe(timeline_svg(page.timeline))
    page.timeline_svg_narrow = mark_safe(timeline_svg(page.timeline, width=NARROW_WIDTH))
    if with_history and visible_runs is not None:
        hypotheses = [Cause(h.kind, h.ref, h.summary) for h in page.hypotheses]
        page.similar = runs_similar(visible_runs, run=run, hypotheses=hypotheses)
    return page
