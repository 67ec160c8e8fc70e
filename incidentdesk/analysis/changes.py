"""Hypotheses about changes: deploys, feature flag changes, change-calendar events."""

from datetime import timedelta

from incidentdesk.analysis.chain import fresh_lines
from incidentdesk.analysis.content import change_matches, flag_matches, path_tokens
from incidentdesk.analysis.exposure import exposing_reasons, exposure_records
from incidentdesk.analysis.findings import Findings, is_production, mention_ids, names_for
from incidentdesk.analysis.hypothesis import Hypothesis
from incidentdesk.analysis.logchanges import log_changes
from incidentdesk.analysis.timeutil import SKEW, hhmm, human_gap, parse_time
from incidentdesk.analysis.wording import tied

# A change that landed this close before the onset lines up in time.
CLOSE_BEFORE = timedelta(minutes=60)
# Changes older than this are not listed at all unless their content points at the failure.
LOOKBACK = timedelta(hours=24)
# A calendar window open this long before the onset needs its work to show at the onset.
WINDOW_OPEN = timedelta(minutes=30)
ACTIVE_BEFORE = timedelta(minutes=15)
CAUSAL_CALENDAR_KINDS = frozenset({"maintenance", "migration", "failover", "config", "config_change"})


def _failing(findings: Findings, service: str) -> bool:
    return service == findings.service or bool(findings.degraded(service))


def deploy_hypotheses(findings: Findings) -> list[Hypothesis]:
    onset = findings.first_seen
    out: list[Hypothesis] = []
    leaks: dict[str, list[str]] = {}
    for leak in exposure_records(findings.records("logs") + findings.records("errors"), findings.scope):
        leaks.setdefault(leak.data.get("service") or leak.service or "", []).append(leak.id)
    for item in findings.records("deploys"):
        d = item.data
        if not is_production(d.get("environment")):
            continue
        service = d.get("service") or item.service or ""
        started = parse_time(d.get("started_at"))
        finished = parse_time(d.get("finished_at")) or started
        if started is None:
            continue
        dep_id = str(d.get("id") or item.ref)
        key = findings.change_key(d)
        change = findings.changes.get(key) if key else None
        cites = [item.id, *findings.change_ids(key)]
        label = f"Deploy {dep_id}" + (f" ({change.name})" if change else "")
        in_scope = service in findings.scope
        if started > onset + SKEW:
            if in_scope and started - onset <= LOOKBACK:
                out.append(
                    Hypothesis(
                        "deploy",
                        dep_id,
                        "low",
                        f"{label} of {service} started at {hhmm(started)},"
                        f" {human_gap((started - onset).total_seconds())} after the onset: not a cause",
                        against=cites,
                        service=service,
                        ruled_out=True,
                    )
                )
            continue
        gap = max((onset - finished).total_seconds(), 0) if finished else 0
        if not in_scope:
            if gap <= CLOSE_BEFORE.total_seconds():
                out.append(
                    Hypothesis(
                        "deploy",
                        dep_id,
                        "low",
                        f"{label} changed {service}, which {findings.service}"
                        " does not depend on: not a cause",
                        against=cites,
                        service=service,
                        ruled_out=True,
                    )
                )
            continue
        footprint = findings.footprint(service)
        reasons = change_matches(change, footprint) if change else []
        if leaks.get(service):
            # The failure is the data itself: a diff that lets it out is on the failing path.
            pr = findings.pull_requests.get(key) if key else None
            reasons += [
                f"{r}, and personal data shows up in its runtime evidence" for r in exposing_reasons(pr)
            ]
        timing = gap <= CLOSE_BEFORE.total_seconds() and d.get("status") != "rolled_back"
        if not timing and not reasons and onset - started > LOOKBACK:
            continue
        when = (
            f"was rolling out at the onset ({hhmm(finished)} end)"
            if finished and finished > onset
            else f"finished {human_gap(gap)} before the onset"
            if gap >= 30
            else "finished at the onset"
        )
        docs_only = bool(change and change.docs_only)
        h = Hypothesis(
            "deploy",
            dep_id,
            "low",
            "",
            evidence=list(cites),
            service=service,
            timing=timing,
            content=bool(reasons),
            echo=bool(reasons),
            closeness=-gap,
        )
        if docs_only:
            h.summary = f"{label} {when} but touched only docs, CI or tests"
            h.evidence, h.against, h.timing, h.ruled_out = [], cites, False, True
        elif reasons:
            h.summary = f"{label} {when} and {reasons[0]}"
            h.evidence += _error_ids(findings, service) + leaks.get(service, [])[:2]
        elif not _failing(findings, service):
            h.summary = f"{label} {when}, but {service} itself looks healthy"
            h.evidence, h.against, h.ruled_out, h.on_healthy = [], cites, True, True
        else:
            h.summary = f"{label} {when}; nothing in its diff matches the errors"
        out.append(h)
    return out


def _error_ids(findings: Findings, service: str) -> list[str]:
    ids = [e.evidence_id for e in findings.new_errors if e.service == service][:2]
    ids += [v.template.evidence_ids[0] for v in findings.new_templates(service)][:1]
    return ids


def flag_hypotheses(findings: Findings) -> list[Hypothesis]:
    onset = findings.first_seen
    out: list[Hypothesis] = []
    changes = list(findings.changes.values())
    for item in findings.records("feature_flags"):
        f = item.data
        service = f.get("service") or item.service or ""
        if service not in findings.scope or not is_production(f.get("environment")):
            continue
        changed = parse_time(f.get("changed_at"))
        key = str(f.get("key") or "")
        if changed is None or not key:
            continue
        turned = f"from {_json(f.get('from'))} to {_json(f.get('to'))}"
        if changed > onset + SKEW:
            if changed - onset <= CLOSE_BEFORE:
                out.append(
                    Hypothesis(
                        "feature_flag",
                        key,
                        "low",
                        f"Flag {key} changed {turned} at {hhmm(changed)}, after the onset: not a cause",
                        against=[item.id],
                        service=service,
                        ruled_out=True,
                    )
                )
            continue
        gap = (onset - changed).total_seconds()
        reasons = flag_matches(key, findings.footprint(service), changes)
        timing = gap <= CLOSE_BEFORE.total_seconds()
        if not timing and not reasons:
            continue
        linked_prs = [i.id for i in findings.records("pull_requests") if key in str(i.data)]
        h = Hypothesis(
            "feature_flag",
            key,
            "low",
            "",
            evidence=[item.id, *linked_prs],
            service=service,
            timing=timing,
            content=bool(reasons),
            echo=bool(reasons),
            closeness=-gap,
        )
        h.summary = f"Flag {key} switched {turned} {human_gap(gap)} before the onset"
        if reasons:
            h.summary += f"; {reasons[0]}"
            h.evidence += _error_ids(findings, service)
        out.append(h)
    return out


def calendar_hypotheses(findings: Findings) -> list[Hypothesis]:
    onset = findings.first_seen
    out: list[Hypothesis] = []
    for item in findings.records("change_calendar"):
        c = item.data
        kind = str(c.get("kind") or "").lower()
        title = str(c.get("title") or "")
        planned = kind in CAUSAL_CALENDAR_KINDS or any(w in title.lower() for w in ("failover", "migration"))
        shared_layer = not c.get("services")
        services = set(c.get("services") or []) or findings.scope
        touched = sorted(services & findings.scope)
        start, end = parse_time(c.get("start")), parse_time(c.get("end"))
        if not touched or start is None:
            continue
        end = end or start
        if not (start - timedelta(minutes=15) <= onset <= end + timedelta(minutes=30)):
            if not shared_layer and end < onset:
                earlier = _earlier_change(findings, item, touched, end)
                # A release or other event counts from long ago only when the failure echoes it.
                if earlier and (planned or earlier.content):
                    out.append(earlier)
            continue
        if not planned:
            continue
        failing = [s for s in touched if _failing(findings, s)]
        mentions = {s: mention_ids(findings, s) for s in touched if s != findings.service}
        named = [s for s, ids in mentions.items() if ids]
        words = path_tokens(title) - {"the", "and", "for", "window"}
        matches_code = any(words & findings.footprint(s).tokens for s in touched)
        # A direct dependency may come back from its change on its own while its callers
        # stay broken: the caller's symptom starting inside the window still lines up.
        direct = [s for s in touched if findings.depths.get(s) == 1]
        run_onset = findings.run_onset
        inside = bool(direct and run_onset and start - SKEW <= run_onset <= end)
        h = Hypothesis(
            "config_change",
            str(c.get("uid") or item.ref),
            "low",
            "",
            evidence=[item.id, *(i for s in named for i in mentions[s])],
            # An event on no service in particular is on the layer under all of them.
            service=None if shared_layer else (failing or named or direct or touched)[0],
            timing=bool(failing or named or inside),
            content=bool(named) or matches_code,
            echo=matches_code,
            # Of two windows over the onset, the one that opened last fits it best.
            closeness=-max((onset - start).total_seconds(), 0),
        )
        # A window that opened long before the failure lines up only if its work shows at the
        # onset: a maintenance running quietly for an hour is a weak fit for a sudden failure.
        idle = onset - start > WINDOW_OPEN and not working_at(findings, touched, onset)
        if idle:
            h.timing = False
        # The window covers the onset (timing); the touched service failing or being
        # named in the errors ties it to the symptom (content).
        if h.timing and (failing or named) and (named or matches_code):
            h.confidence = "high"
        elif h.timing:
            h.confidence = "medium"
        where = "shared infrastructure" if shared_layer else ", ".join(touched)
        h.summary = f"{kind.capitalize() or 'Change'} '{title}' on {where} ran {hhmm(start)}-{hhmm(end)}, at the onset"
        if idle:
            h.summary += f"; open {human_gap((onset - start).total_seconds())} before the failure with no sign of its work then"
        if inside and not (failing or named):
            h.summary += f"; {findings.service}'s own symptoms began inside the window"
            h.evidence += [s.evidence_id for s in findings.degraded(findings.service or "")][:2]
        out.append(h)
    return out


def working_at(findings: Findings, services: list[str], onset) -> bool:
    """Change lines of `services` logged in the minutes before `onset`."""
    return any(
        c.service in services and onset - ACTIVE_BEFORE <= c.first_at <= onset + SKEW
        for c in log_changes(findings, {})
    )


def _earlier_change(findings: Findings, item, touched: list[str], end) -> Hypothesis | None:
    """A calendar change that ended before the onset: the last change on a service that then
    failed (within a day), or an older one whose description the failure's own words echo."""
    c = item.data
    gap = findings.first_seen - end
    start = parse_time(c.get("start")) or end
    if any(start > findings.failing_dependencies.get(s, findings.first_seen) for s in touched):
        return None  # it began after the service failed: a response to the failure, not its cause
    ties: list[str] = []
    words: set[str] = set()
    for service in touched:
        since = findings.failing_dependencies.get(service, findings.first_seen) - timedelta(minutes=15)
        ignore = names_for(findings.catalog, service) | {service}
        for evidence_id, text in fresh_lines(findings, service, since):
            shared = tied(str(c.get("title") or ""), text, ignore)
            if shared:
                ties.append(evidence_id)
                words |= shared
    failing_below = [s for s in touched if s != findings.service and s in findings.failing_dependencies]
    if not ties and (gap > LOOKBACK or not failing_below):
        return None  # of interest only as the last change on a dependency that then failed
    kind = str(c.get("kind") or "change").lower()
    h = Hypothesis(
        "config_change",
        str(c.get("uid") or item.ref),
        "low",
        f"{kind.capitalize()} '{c.get('title')}' on {', '.join(touched)} ended {human_gap(gap.total_seconds())}"
        " before the onset",
        evidence=[item.id, *ties[:2]],
        service=next((s for s in touched if _failing(findings, s)), touched[0]),
        content=bool(ties),
        echo=bool(ties),
        closeness=-gap.total_seconds(),
        recent=gap <= LOOKBACK,
    )
    if words:
        h.summary += f"; the failure's own lines echo it ({', '.join(sorted(words)[:3])})"
    return h


def _json(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
