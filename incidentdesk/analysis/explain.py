"""Following the failure down its chain: victims are findings, the change on the deepest failing
component is the cause, and failures that started together point at the layer they share.
"""

import re
from datetime import datetime, timedelta

from incidentdesk.analysis.catalog import known_names, services_by_name
from incidentdesk.analysis.chain import FailureMap, fresh_lines, fresh_mentions, fresh_naming, passed_on
from incidentdesk.analysis.changes import CLOSE_BEFORE, WINDOW_OPEN, working_at
from incidentdesk.analysis.findings import Findings, names_any, names_for, raw_text
from incidentdesk.analysis.hypothesis import CHANGE_KINDS, Hypothesis, cap
from incidentdesk.analysis.logchanges import (
    CHANGE_LINE,
    LogChange,
    deploy_marks,
    shared_changes,
    telling_line,
)
from incidentdesk.analysis.systems import provider_of_host
from incidentdesk.analysis.timeutil import SKEW, hhmm, human_gap, parse_time
from incidentdesk.analysis.wording import tied

# A calendar window this close around a change line covers it.
WINDOW_SLACK = timedelta(minutes=15)
# A failure that begins this soon after a change made during the incident, and lasts this long.
NEW_FAILURE_WITHIN = timedelta(minutes=5)
NEW_FAILURE_LASTS = timedelta(minutes=2)
MAX_SAMPLE = 90


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SAMPLE else text[: MAX_SAMPLE - 1] + "…"


def _component_ids(fmap: FailureMap, service: str) -> list[str]:
    component = fmap.components.get(service)
    if component is None:
        return []
    return (component.named_by + component.evidence)[:2]


def mark_victims(fmap: FailureMap, hypotheses: list[Hypothesis]) -> None:
    """A failing dependency with a deeper failure below it is a victim: a finding, not the cause."""
    for h in hypotheses:
        if h.kind != "dependency" or not h.ref:
            continue
        root = fmap.downstream_of(h.ref)
        if root:
            h.confidence = "low"
            h.summary += f"; downstream of {root}, which it calls and which failed too"
            h.object(f"its failure is downstream of {root}", _component_ids(fmap, root))


def _covering_calendar(change: LogChange, calendar: list[Hypothesis], findings: Findings) -> Hypothesis | None:
    for h in calendar:
        item = findings.items.get(h.evidence[0]) if h.evidence else None
        if item is None:
            continue
        start, end = parse_time(item.data.get("start")), parse_time(item.data.get("end"))
        services = set(item.data.get("services") or [])
        if start is None:
            continue
        end = end or start
        if (not services or change.service in services) and (
            start - WINDOW_SLACK <= change.first_at <= end + WINDOW_SLACK
        ):
            return h
    return None


def log_change_hypotheses(
    findings: Findings, fmap: FailureMap, changes: list[LogChange], calendar: list[Hypothesis]
) -> list[Hypothesis]:
    """Changes that show only in logs, on a failing service; a calendar entry that covers one
    gains it as independent confirmation instead."""
    out: list[Hypothesis] = []
    shared = {c for group in shared_changes(changes) for c in group}
    for change in changes:
        if change.environment or change in shared:
            continue
        covering = _covering_calendar(change, calendar, findings)
        if covering is not None:
            if not set(change.evidence_ids) & set(covering.evidence):
                covering.evidence += list(change.evidence_ids[:1])
            if "logs show it" not in covering.summary:
                covering.summary += f"; {change.service}'s logs show it from {hhmm(change.first_at)}"
            continue
        if not fmap.failing(change.service):
            below = _under_failing(findings, fmap, change.service)
            if below:
                # A change on a healthy service a failing one depends on: a lead the chain may
                # follow (when the failing one's lines name it or what it published).
                out.append(Hypothesis(
                    "config_change", None, "low",
                    f"A change seen only in {change.service}'s logs from {hhmm(change.first_at)}:"
                    f" '{_short(change.sample)}' ({change.count} lines); {below} depends on it and is failing",
                    evidence=list(change.evidence_ids), service=change.service, timing=True, closeness=0.0,
                    on_healthy=True, ruled_out=True, against=list(change.evidence_ids),
                ))
            continue
        upstream = _applied_from(findings, change)
        component = fmap.components[change.service]
        # Before the component failed, or before the failure reached the paged service.
        after = [t for t in (component.onset, findings.symptom_at) if t >= change.first_at - SKEW]
        failed = min(after) if after else component.onset
        gap = (failed - change.first_at).total_seconds()
        # The change is tied to the failure when callers' errors point at the component it hit,
        # or when the component's own new lines echo it; a change line on the paged service
        # itself with nothing tying it stays a lead, not a cause.
        echoed = any(
            tied(change.sample, text) or _names_program(change.program, text)
            for i, text in fresh_lines(findings, change.service, change.first_at)
            if i not in change.evidence_ids and not CHANGE_LINE.search(text)
        )
        pointed_at = change.service in fmap.roots and (
            echoed or (change.service != findings.service and bool(component.named_by or component.evidence))
        )
        who = change.service if failed == component.onset else findings.service
        when = f"{human_gap(max(gap, 0))} before {who} began failing"
        h = Hypothesis(
            "config_change",
            None,
            "low",
            f"A change seen only in {change.service}'s logs from {hhmm(change.first_at)}:"
            f" '{_short(change.sample)}' ({change.count} lines), {when}",
            evidence=[*change.evidence_ids, *_component_ids(fmap, change.service)],
            service=change.service,
            timing=True,
            content=pointed_at,
            echo=echoed,
            closeness=-max(gap, 0),
        )
        if upstream:
            # It applied what a dependency published: the change is there, not here.
            source, ids = upstream
            h.content, h.confidence = False, "low"
            h.object(f"{change.service} applied what {source} published", ids)
        if change.from_vendor:
            # A third party's agent changed under the service: outside the catalog.
            h.kind, h.ref, h.service, h.explains = "external", change.program or "agent", None, pointed_at
            h.summary = (
                f"A third party's update reached {change.service}'s hosts at {hhmm(change.first_at)}:"
                f" '{_short(change.sample)}', {when}"
            )
        h.confidence = "medium" if pointed_at else "low"
        out.append(h)
    return out


def _data_trigger(findings: Findings, root: str, onset: datetime) -> tuple[str, list[str]] | None:
    """What a dependency published just before `root` failed that `root`'s failure lines name
    (a customer's new config version): the input that woke a latent bug."""
    below = (services_by_name(findings.catalog).get(root) or {}).get("depends_on") or []
    for source in below:
        ids = passed_on(findings, source, root, onset - WINDOW_SLACK)
        if ids and passed_on(findings, root, source, onset - WINDOW_SLACK):
            line = str(findings.items[ids[0]].data.get("message") or "")
            return f"{source}'s '{_short(line)}'", ids[:1]
    return None


def _under_failing(findings: Findings, fmap: FailureMap, service: str) -> str | None:
    """A failing service that depends directly on `service`."""
    graph = services_by_name(findings.catalog)
    return next((name for name in fmap.components if service in ((graph.get(name) or {}).get("depends_on") or [])),
                None)


def _applied_from(findings: Findings, change: LogChange) -> tuple[str, list[str]] | None:
    """The dependency whose newly published version a change line applied (`poll: v1 -> v2, applying`)."""
    below = (services_by_name(findings.catalog).get(change.service) or {}).get("depends_on") or []
    for source in below:
        ids = passed_on(findings, source, change.service, change.first_at - CLOSE_BEFORE)
        if ids and set(passed_on(findings, change.service, source, change.first_at - CLOSE_BEFORE)) & set(
            change.evidence_ids
        ):
            return source, ids
    return None


_UPSTREAM_DOWN = re.compile(
    r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\.?[^A-Za-z]{0,20}"
    r"(?:marked as |is |was )?(?:timed out|timing out|unreachable|not responding|refused)",
    re.IGNORECASE,
)


def _upstream_provider(findings: Findings, fmap: FailureMap, root: str) -> Hypothesis | None:
    """A failing component whose own new lines say a host outside the company stopped answering
    it (a nameserver "marked as timed out"): the third party under it is the cause."""
    internal = known_names(findings.catalog)
    onset = _onset(fmap, root)
    found: dict[str, list[str]] = {}
    for evidence_id, text in fresh_lines(findings, root, onset - WINDOW_SLACK):
        for match in _UPSTREAM_DOWN.finditer(text):
            provider = provider_of_host(match.group("host"), internal)
            if provider:
                found.setdefault(provider, []).append(evidence_id)
    if not found:
        return None
    provider, ids = max(found.items(), key=lambda kv: len(kv[1]))
    return Hypothesis(
        "external",
        provider,
        "medium",
        f"{root} is failing because {provider}, outside the catalog, stopped answering it: its own lines"
        f" say so from {hhmm(onset)}",
        evidence=[*ids[:2], *_component_ids(fmap, root)],
        timing=True,
        content=True,
        explains=True,
    )


def _names_program(program: str | None, text: str) -> bool:
    """The failure names the program that changed (`HalberdSensor` in `halberd_sensor.sys`)."""
    if not program or len(program) < 5:
        return False
    squash = re.sub(r"[\W_]+", "", text.lower())
    return re.sub(r"[\W_]+", "", program.lower()) in squash


def _build_chain(findings: Findings, fmap: FailureMap, h: Hypothesis, root: str, named: list[str]) -> list[dict]:
    path = fmap.path(root)
    links = [{"text": f"{h.label[:1].upper()}{h.label[1:]} on {h.service}", "evidence": h.evidence[:2]}]
    if named:
        links.append({"text": f"{root}'s logs name {h.service} as it begins failing", "evidence": named})
    for callee, caller in zip(reversed(path), list(reversed(path))[1:], strict=False):
        link = fmap.link(caller, callee)
        component = fmap.components.get(callee)
        ids = list(link.evidence) if link else []
        named = bool(component and link and set(link.evidence) & set(component.named_by))
        text = f"{caller}'s errors name {callee}" if named else f"{caller} fails after {callee}"
        links.append({"text": text, "evidence": ids or _component_ids(fmap, callee)})
    symptom = fmap.components.get(findings.service or "")
    if symptom and symptom.evidence:
        links.append({"text": f"{findings.service} is failing", "evidence": symptom.evidence[:1]})
    return [link for link in links if link["evidence"]]


def _span(findings: Findings, h: Hypothesis) -> tuple[datetime, datetime] | None:
    """When a change happened: a deploy's rollout, a flag's flip, a calendar window, a log line."""
    item = findings.items.get(h.evidence[0]) if h.evidence else None
    if item is None:
        return None
    d = item.data
    keys = {
        "deploys": ("started_at", "finished_at"),
        "feature_flags": ("changed_at", "changed_at"),
        "change_calendar": ("start", "end"),
        "logs": ("ts", "ts"),
    }.get(item.source)
    if keys is None:
        return None
    start = parse_time(d.get(keys[0]))
    end = parse_time(d.get(keys[1])) or start
    return (start, end) if start and end else None


def lines_up(findings: Findings, h: Hypothesis, onset: datetime) -> bool:
    """The change happened in the hour before `onset` (a calendar window: around it)."""
    span = _span(findings, h)
    if span is None:
        return h.timing
    start, end = span
    item = findings.items[h.evidence[0]]
    if item.source == "change_calendar":
        services = list(item.data.get("services") or [])
        if onset - start > WINDOW_OPEN and not working_at(findings, services, onset):
            return False  # open long before, and nothing of its work shows at the onset
        return start - WINDOW_SLACK <= onset <= end + 2 * WINDOW_SLACK
    return start <= onset + SKEW and onset - end <= CLOSE_BEFORE


def _onset(fmap: FailureMap, root: str) -> datetime:
    """When `root` began failing; for a shared dependency, when the first of its callers did."""
    component = fmap.components.get(root)
    if component is not None:
        return component.onset
    return min(fmap.components[p].onset for p in fmap.together)


def _candidates(
    findings: Findings, fmap: FailureMap, root: str, hypotheses: list[Hypothesis]
) -> list[tuple[Hypothesis, list[str]]]:
    """Changes that line up with `root`'s failure: on `root` itself, or on a dependency of it
    that looks healthy but that `root`'s own new log lines name as it began failing."""
    onset = _onset(fmap, root)
    below = set((services_by_name(findings.catalog).get(root) or {}).get("depends_on") or [])
    marks = deploy_marks(findings)
    since = onset - WINDOW_SLACK
    out: list[tuple[Hypothesis, list[str]]] = []
    for h in hypotheses:
        if h.kind not in CHANGE_KINDS or not h.service or (h.ruled_out and not h.on_healthy):
            continue
        aligned = lines_up(findings, h, onset) or lines_up(findings, h, findings.symptom_at)
        if h.service == root and (not h.ruled_out or h.on_healthy) and (h.evidence or h.on_healthy):
            # A change whose code is in the failing frames counts however old (a latent bug);
            # a planned change on it earlier that day is the last thing that changed on it.
            if aligned or h.content or h.recent:
                out.append((h, []))
        elif h.service in below and not fmap.failing(h.service) and (aligned or h.content):
            named = fresh_mentions(findings, root, h.service, since)
            if h.kind == "deploy" and h.ref in marks:
                shipped = fresh_naming(findings, root, marks[h.ref], since)
                # The failing component names the very version this deploy shipped.
                h.content = h.content or bool(shipped)
                h.echo = h.echo or bool(shipped)
                named += shipped
            named += passed_on(findings, root, h.service, onset - CLOSE_BEFORE)
            if named:
                out.append((h, named))
    return out


def _revive(h: Hypothesis) -> None:
    """A change on a healthy-looking service that the chain shows was felt below it."""
    if h.ruled_out:
        h.ruled_out, h.on_healthy = False, False
        h.evidence, h.against = list(h.against), []
        h.summary = h.summary.split(", but ")[0]


def explain_roots(
    findings: Findings, fmap: FailureMap, hypotheses: list[Hypothesis], during: list[LogChange]
) -> list[str]:
    """For each failing dependency at the end of a chain, the change that explains it goes
    first, or one made on it while it failed that opened a new failure (added to
    `hypotheses`); a dependency nothing explains is at most medium, and one that began failing
    after another explained failure is likelier its knock-on. Returns the roots nothing explains."""
    unexplained: list[str] = []
    explained: dict[str, Hypothesis] = {}
    # The layer failures that began together share goes first: one cause for all of them
    # beats one per service, so a peer then needs a change of its own with content.
    ends = ([fmap.shared] if fmap.shared and fmap.shared not in fmap.roots else []) + fmap.roots
    for root in ends:
        if root == findings.service:
            continue
        dependency = next((h for h in hypotheses if h.kind == "dependency" and h.ref == root), None)
        found = _candidates(findings, fmap, root, hypotheses)
        if fmap.shared in explained and root in fmap.together:
            found = [pair for pair in found if pair[0].content]
        if not found and not (dependency and dependency.explained_by):
            worse = _worsening(findings, fmap, during, root)
            if worse is not None:
                hypotheses.append(worse)
                found = [(worse, [])]
        if not found and not (dependency and dependency.explained_by):
            upstream = _upstream_provider(findings, fmap, root)
            if upstream is not None:
                hypotheses.append(upstream)
                for finding in [dependency] if dependency else []:
                    finding.explained_by = upstream.label
                    finding.summary += f"; its own lines say {upstream.ref} timed out under it"
                continue
        if not found:
            if dependency and dependency.explained_by:
                continue
            unexplained.append(root)
            if dependency:
                dependency.confidence = cap(dependency.confidence, "medium")
                dependency.summary += f"; nothing found yet that explains why {root} fails"
            continue
        onset = _onset(fmap, root)
        # Content before timing: the change the failure's own evidence points at, however old,
        # outranks the one that only happened just before (which is then its trigger).
        best, named = max(
            found,
            key=lambda pair: (pair[0].echo, bool(pair[1]), lines_up(findings, pair[0], onset), pair[0].closeness),
        )
        trigger = next(
            (h for h, _ in found if h is not best and lines_up(findings, h, onset) and not lines_up(findings, best, onset)),
            None,
        )
        _revive(best)
        best.explains = True
        best.chain = _build_chain(findings, fmap, best, root, named)
        best.evidence += [i for link in best.chain for i in link["evidence"] if i not in best.evidence]
        if root == fmap.shared:
            path = [root, ", ".join(fmap.together)]
        else:
            path = ([best.service] if best.service != root else []) + list(reversed(fmap.path(root)))
        best.summary += f"; the chain: {' -> '.join(str(p) for p in path)}"
        if trigger is not None:
            best.summary += f"; {trigger.label} set it off"
            best.evidence += [i for i in trigger.evidence[:1] if i not in best.evidence]
        elif not lines_up(findings, best, onset) and (pushed := _data_trigger(findings, root, onset)):
            text, ids = pushed
            best.summary += f"; {text} set it off"
            best.evidence += [i for i in ids if i not in best.evidence]
        component = fmap.components.get(root)
        # The change is on (or just under) the component the errors point at.
        aligned = lines_up(findings, best, onset)
        best.content = best.content or bool(component and component.named_by) or bool(named) or root == fmap.shared
        best.timing = aligned
        best.confidence = "high" if best.content and aligned else "medium"
        explained[root] = best
        covered = [dependency] if dependency else []
        if root == fmap.shared:
            covered += [h for h in hypotheses if h.kind == "dependency" and h.ref in fmap.together]
        for finding in covered:
            finding.confidence = cap(finding.confidence, "medium")
            finding.explained_by = best.label
            finding.summary += f"; explained by {best.label}"
    for root in unexplained:
        earlier = [r for r in explained if r in fmap.components
                   and fmap.components[r].onset + SKEW < fmap.components[root].onset]
        dependency = next((h for h in hypotheses if h.kind == "dependency" and h.ref == root), None)
        if earlier and dependency:
            gap = (fmap.components[root].onset - fmap.components[earlier[0]].onset).total_seconds()
            dependency.object(
                f"{earlier[0]} began failing {human_gap(gap)} earlier, and {explained[earlier[0]].label} explains it",
                _component_ids(fmap, earlier[0]),
            )
    return unexplained


def _worsening(findings: Findings, fmap: FailureMap, during: list[LogChange], root: str) -> Hypothesis | None:
    """A change made on a failing component while it failed (a restart, a config reload) after
    which a new failure began and stayed: it made the incident what it is."""
    for change in during:
        if change.service != root or change.environment:
            continue
        after = _new_failure_after(findings, change)
        if not after:
            continue
        lines, text = after
        return Hypothesis(
            "config_change",
            None,
            "medium",
            f"A change on {root} while it failed, seen only in its logs at {hhmm(change.first_at)}:"
            f" '{_short(change.sample)}'; a new failure began right after and has not stopped: '{_short(text)}'",
            evidence=[*change.evidence_ids[:1], *lines],
            service=root,
            timing=True,
            content=True,
        )
    return None


def _new_failure_after(findings: Findings, change: LogChange) -> tuple[list[str], str] | None:
    """Error lines, on the component or its callers naming it, first seen within minutes after
    the change and still coming for some minutes: a failure the change opened, not a blip."""
    names = names_for(findings.catalog, change.service) | {change.service}
    for verdict in findings.templates:
        t = verdict.template
        if not t.is_error or not t.first_at or not t.last_at:
            continue
        if not (change.first_at < t.first_at <= change.first_at + NEW_FAILURE_WITHIN):
            continue
        if t.last_at - t.first_at < NEW_FAILURE_LASTS or verdict.before:
            continue
        text = raw_text(findings, t)
        if t.service == change.service or names_any(text, names):
            return [t.evidence_ids[0]], str(findings.items[t.evidence_ids[0]].data.get("message") or t.template)
    return None


def shared_layer_hypotheses(
    findings: Findings,
    fmap: FailureMap,
    changes: list[LogChange],
    hypotheses: list[Hypothesis],
) -> list[Hypothesis]:
    """Failures that started together with no dependency path between them, or the same change
    line on several services, point at a layer they share; never at whichever failed first."""
    out: list[Hypothesis] = []
    peers = fmap.together
    peer_ids = [i for p in peers for i in _component_ids(fmap, p)[:1]]
    if peers:
        apart = f"{', '.join(peers)} began failing within minutes of each other with no dependency between them"
        for h in hypotheses:
            if h.kind == "dependency" and h.ref in peers:
                others = [i for p in peers if p != h.ref for i in _component_ids(fmap, p)[:1]]
                h.object(f"{', '.join(p for p in peers if p != h.ref)} began failing with it, not through it", others)
        if fmap.shared:
            existing = next((h for h in hypotheses if h.kind == "dependency" and h.ref == fmap.shared), None)
            h = existing or Hypothesis("dependency", fmap.shared, "low", "", service=fmap.shared)
            h.evidence += [i for i in peer_ids if i not in h.evidence]
            h.summary = (h.summary + "; " if h.summary else "") + (
                f"{fmap.shared} is the one dependency they share: {apart}"
            )
            h.timing = h.content = True
            h.confidence = "medium"
            if existing is None:
                out.append(h)
    for group in shared_changes(changes):
        services = sorted({c.service for c in group})
        failing = [s for s in services if fmap.failing(s)]
        first = min(group, key=lambda c: c.first_at)
        telling = telling_line(group)
        covering = next(
            (
                h
                for h in hypotheses
                if h.kind == "config_change" and h.service is None and _covering_calendar(first, [h], findings)
            ),
            None,
        )
        ids = [i for c in group for i in c.evidence_ids[:1]]
        if covering is not None:
            covering.evidence += [i for i in ids if i not in covering.evidence]
            covering.summary += f"; the same change shows in the logs of {', '.join(services)}"
            covering.content = True
            continue
        pusher = next((c.pushed_by for c in group if c.pushed_by), None)
        provider = provider_of_host(pusher, known_names(findings.catalog)) if pusher else None
        h = Hypothesis(
            "external",
            provider or telling.program or first.program or "shared-layer",
            "medium" if len(failing) >= 2 or (failing and peers) else "low",
            f"The same change hit {', '.join(services)} from {hhmm(first.first_at)}:"
            f" '{_short(telling.sample)}': a shared layer (host OS, platform, agent) changed under them",
            evidence=ids + peer_ids,
            timing=True,
            content=len(failing) >= 2,
            closeness=len(services),
            # One change under several failing services explains them all at once.
            explains=len(failing) >= 2,
        )
        for dependency in hypotheses:
            if h.explains and dependency.kind == "dependency" and dependency.ref in services:
                dependency.explained_by = "the host change under it"
                dependency.summary += "; explained by the host change that hit it too"
        out.append(h)
    if peers and not fmap.shared and not out:
        global_changes = [h for h in hypotheses if h.kind == "config_change" and h.service is None and h.timing]
        if not global_changes:
            out.append(
                Hypothesis(
                    "external",
                    "shared-layer",
                    "medium",
                    f"{apart}: a layer under all of them (network, platform, cloud provider, an agent"
                    " on their hosts) is likelier than any one of them",
                    evidence=peer_ids,
                    timing=True,
                    content=False,
                    closeness=len(peers),
                )
            )
    return out


_TIMED_OUT = re.compile(
    r"time[ds]?[ _-]?out|timeout|deadline exceeded|connection (?:reset|refused)|unreachable|no route", re.I
)
_NETWORK = re.compile(r"packet loss|\bloss \d|retransmit|\bnetprobe\b|\bmtu\b|\bbgp\b|route[sd]? (?:withdrawn|flap)", re.I)


def network_path_hypothesis(findings: Findings, fmap: FailureMap, hypotheses: list[Hypothesis]) -> Hypothesis | None:
    """Dependencies that look healthy from their own side (flat error rate and latency) while
    their callers time out on them: the path between them is failing, not the services."""
    quiet = [
        name
        for name, c in fmap.components.items()
        if name != findings.service and not c.evidence and c.flat and c.named_by
        and all(_TIMED_OUT.search(_text(findings, i)) for i in c.named_by)
    ]
    if not quiet:
        return None
    network = [
        v.template.evidence_ids[0]
        for v in findings.templates
        if v.template.service in findings.scope and v.kind in ("new", "burst")
        and _NETWORK.search(raw_text(findings, v.template))
    ]
    callers = [i for name in quiet for i in fmap.components[name].named_by[:1]]
    flat = [i for name in quiet for i in fmap.components[name].flat[:1]]
    for h in hypotheses:
        if h.kind == "dependency" and h.ref in quiet:
            h.object(f"{h.ref}'s own error rate and latency stay flat while its callers time out", flat)
    return Hypothesis(
        "external",
        "network",
        "medium" if network or len(quiet) >= 2 else "low",
        f"{', '.join(quiet)} {'looks' if len(quiet) == 1 else 'look'} healthy from"
        f" {'its' if len(quiet) == 1 else 'their'} own side while callers time out on {'it' if len(quiet) == 1 else 'them'}:"
        " the network path between them is failing, not the services"
        + ("; network probes see loss" if network else ""),
        evidence=callers + flat + network[:2],
        timing=True,
        content=bool(network),
        closeness=len(quiet),
    )


def _text(findings: Findings, evidence_id: str) -> str:
    item = findings.items.get(evidence_id)
    if item is None:
        return ""
    d = item.data
    return f"{d.get('title') or ''} {d.get('message') or ''} {(d.get('sample') or {}).get('message') or ''}"
