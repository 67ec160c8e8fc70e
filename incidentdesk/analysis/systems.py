"""Hypotheses about systems rather than changes: dependencies, capacity, third parties."""

import re
import statistics
from datetime import datetime, timedelta

from incidentdesk.analysis.catalog import known_names
from incidentdesk.analysis.chain import FailureMap
from incidentdesk.analysis.findings import Findings, callers_of
from incidentdesk.analysis.hypothesis import Hypothesis, cap
from incidentdesk.analysis.metrics import describe_shift
from incidentdesk.analysis.timeutil import SKEW, hhmm, human_gap

TRAFFIC_RISE = 1.5
SATURATED = 0.85
CEILING = 0.95
CEILING_LEAD = timedelta(minutes=30)
# Traffic this much above the start of the window has grown, even without a sudden step.
TRAFFIC_GROWTH = 1.2
_CAPACITY_WORDS = re.compile(
    r"saturat|capacity|max ?replicas|queue (is )?full|pool (exhausted|saturated)|throttl"
    r"|rate limit|too many requests"
    r"|request rate|busy",
    re.I,
)


def dependency_hypotheses(findings: Findings, fmap: FailureMap) -> list[Hypothesis]:
    """Each failing dependency, as a finding: what shows it failing, and when against the symptom."""
    out: list[Hypothesis] = []
    run_onset = findings.run_onset
    for dep, component in fmap.components.items():
        if dep == findings.service:
            continue
        shifts = findings.degraded(dep)
        collapsed = [s for s in findings.shifts if s.service == dep and s.collapsed]
        mentions = component.named_by
        alerts = [
            i
            for i in findings.records("monitors")
            if i.data.get("service") == dep and i.data.get("status") == "alert"
        ]
        timing = run_onset is None or component.onset <= run_onset + SKEW
        h = Hypothesis(
            "dependency",
            dep,
            "low",
            "",
            service=dep,
            timing=timing,
            content=bool(mentions),
            closeness=findings.depths.get(dep, 0),
        )
        h.evidence = [s.evidence_id for s in shifts + collapsed] + [a.id for a in alerts] + mentions
        h.evidence += [e.evidence_id for e in findings.new_errors if e.service == dep][:2]
        h.evidence += [v.template.evidence_ids[0] for v in findings.new_templates(dep)][:2]
        when = _relative_onset(findings, component.onset)
        named_by = sorted({str(findings.items[i].data.get("service")) for i in mentions})
        if shifts:
            lead = describe_shift(shifts[0], findings.service)
            h.summary = f"{dep} is failing: {lead[0].lower() + lead[1:]}, starting {when}"
        elif collapsed:
            lead = describe_shift(collapsed[0], findings.service)
            h.summary = f"{dep} is not being reached: {lead[0].lower() + lead[1:]}, starting {when}"
        elif component.shifts:
            h.summary = f"{dep}'s output changed, starting {when}: {component.shifts[0].text}"
            h.evidence += list(component.shifts[0].evidence_ids)
        else:
            h.summary = f"{dep} is failing as its callers see it, starting {when}"
            if component.flat:
                h.summary += "; its own error rate and latency stay flat"
        if mentions:
            h.summary += f"; {', '.join(named_by)} errors name {dep}"
        # Alone, a failing dependency says where the failure is, not why: never more than medium.
        h.confidence = "medium" if timing or mentions else "low"
        if not timing:
            h.summary += " (after the symptom, so more likely a knock-on effect)"
        out.append(h)
    return out


def _relative_onset(findings: Findings, dep_onset: datetime) -> str:
    run_onset = findings.run_onset
    if run_onset is None:
        return "while the alert fired"
    if dep_onset < run_onset:
        return f"{human_gap((run_onset - dep_onset).total_seconds())} before {findings.service}'s"
    if dep_onset <= run_onset + SKEW:
        return f"with {findings.service}'s"
    return f"after {findings.service}'s"


def capacity_hypotheses(findings: Findings) -> list[Hypothesis]:
    out: list[Hypothesis] = []
    symptom_onset = findings.first_seen
    candidates = [findings.service] + [d for d in findings.depths if findings.degraded(d)]
    for service in [c for c in candidates if c]:
        traffic = findings.shift(service, "requests_per_s")
        saturation = findings.shift(service, "saturation")
        sat_series = findings.series_of(service, "saturation")
        rising_traffic = bool(
            traffic
            and traffic.rose
            and not traffic.onset.recovered
            and traffic.ratio >= TRAFFIC_RISE
            and traffic.onset_at <= symptom_onset + SKEW
        )
        saturated = bool(
            sat_series
            and sat_series.values
            and max(sat_series.values[-5:]) >= SATURATED
            and (saturation is None or saturation.onset_at <= symptom_onset + SKEW)
        )
        logs = [
            v.template.evidence_ids[0]
            for v in findings.templates
            if v.template.service == service
            and v.kind in ("new", "burst")
            and _CAPACITY_WORDS.search(v.template.template)
        ]
        if not (rising_traffic or saturated):
            continue
        onset = findings.failing_dependencies.get(service) or findings.symptom_at
        growth = _growth(findings, service, onset)
        # Traffic creeping up for an hour until saturation hits the ceiling just before the
        # symptom lines up as well as a sudden surge (a leak saturates with flat traffic).
        ceiling = _ceiling_at(sat_series, onset) if sat_series and growth >= TRAFFIC_GROWTH else None
        h = Hypothesis(
            "capacity",
            service,
            "low",
            "",
            service=service,
            timing=rising_traffic or ceiling is not None,
            content=saturated or bool(logs),
        )
        parts = []
        traffic_series = findings.series_of(service, "requests_per_s")
        if traffic and rising_traffic:
            parts.append(
                f"traffic rose {traffic.ratio:.1f}x ({describe_shift(traffic, service).split(' rose ')[1]})"
            )
            h.evidence.append(traffic.evidence_id)
        elif ceiling is not None and traffic_series:
            parts.append(f"traffic grew {growth:.1f}x over the hour before")
            h.evidence.append(traffic_series.evidence_id)
        if saturated and sat_series:
            parts.append(f"saturation reached {max(sat_series.values[-5:]):.0%}")
            h.evidence.append(sat_series.evidence_id)
        h.evidence += logs[:2]
        # Traffic rising first is the timing line; saturation or the service's own
        # capacity complaints are the mechanism. A saturated service with flat
        # traffic may just be leaking, so that alone stays low.
        if h.timing and (saturated or logs):
            h.confidence = "high"
        elif rising_traffic or (saturated and logs):
            h.confidence = "medium"
        h.summary = f"{service} ran out of capacity: {' and '.join(parts)} before the symptom"
        if ceiling is not None:
            h.summary += f" (100% from {hhmm(ceiling)})" if max(sat_series.values) >= 0.995 else ""
        if h.timing:
            h.summary += "; no change lines up with it"
        if rising_traffic and service != findings.service and not _callers_surged(findings, service):
            # A sudden surge on an internal component that none of its callers in scope sent came
            # from somewhere: that sender, not the component, is what changed.
            h.confidence = cap(h.confidence, "medium")
            sender = surge_client(findings, service, traffic.onset_at - SKEW)
            if sender:
                h.summary += f"; the surge is not from its callers here: its logs name {sender[0]} as the client"
                h.evidence += [i for i in sender[1][:1] if i not in h.evidence]
                h.check = f"find what changed in {sender[0]}, the client that sends {service} the new traffic"
            else:
                h.summary += "; the surge is not from its callers here: who sends it is not known yet"
        out.append(h)
    return out


# A caller named in a component's request logs: `userAgent=X`, `user-agent:X`, `client=X`.
_CLIENT = re.compile(r"\b(?:user[-_ ]?agent|client|caller)[=:]\s*[\"']?([A-Za-z][\w./-]{2,})", re.I)
# An audit summary ranking clients: "top clients by request count: X 17172, ...".
_TOP_CLIENT = re.compile(r"top clients?[^:]*:\s*([A-Za-z][\w./-]{2,})", re.I)
MIN_CLIENT_LINES = 3


def surge_client(findings: Findings, service: str, since: datetime) -> tuple[str, list[str]] | None:
    """The client that `service`'s own request logs name most since its traffic rose, when one
    stands out: whoever sends a surge nobody in scope explains."""
    counts: dict[str, list[str]] = {}
    for item in findings.records("logs"):
        if item.data.get("service") != service or (item.observed_at and item.observed_at < since):
            continue
        text = str(item.data.get("message") or "")
        for match in (_TOP_CLIENT.search(text), *_CLIENT.finditer(text)):
            if match:
                counts.setdefault(match.group(1).rstrip(".,;"), []).append(item.id)
    if not counts:
        return None
    client, ids = max(counts.items(), key=lambda kv: len(kv[1]))
    total = sum(len(v) for v in counts.values())
    if len(ids) < MIN_CLIENT_LINES or len(ids) < 0.5 * total:
        return None
    return client, ids


def _callers_surged(findings: Findings, service: str) -> bool:
    """Whether a caller in scope sent more traffic too (then the surge is theirs, passed on)."""
    for caller in callers_of(findings, service):
        shift = findings.shift(caller, "requests_per_s")
        if shift and shift.rose and shift.ratio >= TRAFFIC_RISE:
            return True
    return False


def _growth(findings: Findings, service: str, onset: datetime) -> float:
    """Traffic just before `onset` against the start of the window."""
    series = findings.series_of(service, "requests_per_s")
    if series is None or len(series.values) < 20:
        return 1.0
    start = statistics.median(series.values[:10])
    before = [v for t, v in zip(series.times, series.values, strict=True) if t <= onset][-5:]
    return statistics.median(before) / start if start > 0 and before else 1.0


def _ceiling_at(series, onset: datetime) -> datetime | None:
    """When saturation first reached the ceiling in the half hour before `onset`."""
    for when, value in zip(series.times, series.values, strict=True):
        if onset - CEILING_LEAD <= when <= onset + SKEW and value >= CEILING:
            return when
    return None


_PROVIDER_PATTERNS = (
    re.compile(
        r"\b([A-Za-z][\w.-]{2,})(?: API| api)? "
        r"(?:timed out|timeout|did not respond|is unavailable|unavailable"
        r"|returned (?:HTTP )?5\d\d|responded (?:with )?5\d\d)"
    ),
    re.compile(
        r"(?:upstream|calling|call to|request to|connection (?:refused|reset) (?:by|from|to)"
        r"|(?:timed out|timeouts?) (?:to|from|talking to|calling|connecting to|waiting for))"
        r" ([A-Za-z][\w.-]{2,})",
        re.I,
    ),
)
ALERTING_LEVELS = frozenset({"warning", "error", "critical", "fatal"})
_NOT_A_PROVIDER = frozenset(
    (
        "request requests query call api service server upstream connection socket read write operation "
        "job task worker process the client database db cache lookup response http https handler it this "
        "that check checks health probe backend backends pool node host origin region zone"
        # Words that stand before "unavailable" in prose ("is currently unavailable").
        " currently temporarily still now also being been is was are config configuration site data"
        " key keys token session"
    ).split()
)


_HOST = re.compile(r"(?:https?://|host=['\"]?)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_FAILURE = re.compile(r"\b5\d\d\b|timed? ?out|timeout|unavailable|refused|reset|unreachable", re.I)
_PRIVATE_SUFFIXES = frozenset({"internal", "local", "svc", "lan", "corp", "cluster", "localhost"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac"})


def provider_of_host(host: str, internal: dict[str, str]) -> str | None:
    """`verify.provider.com` -> `provider`; None for internal or private hosts and IPs."""
    labels = host.lower().strip(".").split(".")
    if len(labels) < 2 or labels[-1] in _PRIVATE_SUFFIXES or labels[-1].isdigit():
        return None
    if any(label in internal for label in labels):
        return None
    name = labels[-3] if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else labels[-2]
    return name if name not in _NOT_A_PROVIDER else None


def _failure_texts(findings: Findings) -> list[tuple[str, str]]:
    """(evidence id, raw text) of the failure as it started: new errors, new or surging warning+ logs."""
    texts = [(e.evidence_id, f"{e.title}. {e.message}") for e in findings.new_errors]
    for v in findings.templates:
        if v.template.level in ALERTING_LEVELS and (
            v.kind == "new" or (v.kind == "burst" and v.after > v.before)
        ):
            sample = findings.items.get(v.template.evidence_ids[0])
            raw = str(sample.data.get("message") or "") if sample else ""
            texts.append((v.template.evidence_ids[0], raw or v.template.template))
    return texts


def external_hypotheses(findings: Findings) -> list[Hypothesis]:
    internal = known_names(findings.catalog)
    found: dict[str, list[str]] = {}
    for evidence_id, text in _failure_texts(findings):
        names: list[str] = []
        for pattern in _PROVIDER_PATTERNS:
            for match in pattern.finditer(text):
                name = match.group(1).strip(".-").lower()
                if "." in name:
                    name = provider_of_host(name, internal) or ""
                if (
                    name
                    and name not in internal
                    and name not in _NOT_A_PROVIDER
                    and not any(c.isdigit() for c in name)
                ):
                    names.append(name)
        if _FAILURE.search(text):
            names += [p for p in (provider_of_host(h, internal) for h in _HOST.findall(text)) if p]
        for name in dict.fromkeys(names):
            found.setdefault(name, []).append(evidence_id)
    healthy_deps = not findings.failing_dependencies
    out = []
    for name, ids in found.items():
        h = Hypothesis(
            "external",
            name,
            "medium" if healthy_deps else "low",
            "",
            evidence=ids[:3],
            timing=True,
            content=healthy_deps,
            closeness=len(ids),
        )
        h.summary = f"Calls to {name} (not in the catalog) started failing at the onset"
        h.summary += "; internal dependencies look healthy" if healthy_deps else ""
        out.append(h)
    return out
