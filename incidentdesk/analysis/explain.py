"""Following the failure down its chain: victims are findings, the change on the deepest failing
component is the cause, and failures that started together point at the layer they share.
"""

import re
from datetime import datetime, timedelta

from incidentdesk.analysis.catalog import known_names, services_by_name
from incidentdesk.analysis.chain import FailureMap, fresh_lines, fresh_mentions, fresh_naming, passed_on
from incidentdesk.analysis.changes import CLOSE_BEFORE, WINDOW_OPEN, working_at
from incidentdesk.analysis.findings import Findings, names_any, names_for, raw_text
from incidentdesk.analysis.hypothesis import CHANGE_KINDS, Hypothesis, cap, short_quote
from incidentdesk.analysis.logchanges import (
    LogChange,
    deploy_marks,
)
from incidentdesk.analysis.systems import provider_of_host
from incidentdesk.analysis.timeutil import SKEW, hhmm, human_gap, parse_time

# A calendar window this close around a change line covers it.
WINDOW_SLACK = timedelta(minutes=15)
# A failure that begins this soon after a change made during the incident, and lasts this long.
NEW_FAILURE_WITHIN = timedelta(minutes=5)
NEW_FAILURE_LASTS = timedelta(minutes=2)


def mark_victims(fmap: FailureMap, hypotheses: list[Hypothesis]) -> None:
    """A failing dependency with a deeper failure below it is a victim: a finding, not the cause."""
    for h in hypotheses:
        if h.kind != "dependency" or not h.ref:
            continue
        root = fmap.downstream_of(h.ref)
        if root:
            h.confidence = "low"
            h.summary += f"; downstream of {root}, which it calls and which failed too"
            h.object(f"its failure is downstream of {root}", fmap.first_evidence(root))


def _data_trigger(findings: Findings, root: str, onset: datetime) -> tuple[str, list[str]] | None:
    """What a dependency published just before `root` failed that `root`'s failure lines name
    (a customer's new config version): the input that woke a latent bug."""
    below = (services_by_name(findings.catalog).get(root) or {}).get("depends_on") or []
    for source in below:
        ids = passed_on(findings, source, root, onset - WINDOW_SLACK)
        if ids and passed_on(findings, root, source, onset - WINDOW_SLACK):
            line = str(findings.items[ids[0]].data.get("message") or "")
            return f"{source}'s '{short_quote(line)}'", ids[:1]
    return None


_UPSTREAM_DOWN = (
    re.compile(
        r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\.?[^A-Za-z]{0,20}"
        r"(?:marked as |is |was )?(?:timed out|timing out|unreachable|not responding|refused"
        r"|answered 5\d\d|returned 5\d\d|responded (?:with )?5\d\d)",
        re.IGNORECASE,
    ),
    # "503 UNAVAILABLE from storage.vendor.example": the answer first, then who gave it.
    re.compile(r"\b5\d\d\b[^;()]{0,30}?\bfrom (?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", re.IGNORECASE),
)


def _upstream_provider(findings: Findings, fmap: FailureMap, root: str) -> Hypothesis | None:
    """A failing component whose own new lines say a host outside the company stopped answering
    it (a nameserver "marked as timed out"): the third party under it is the cause."""
    internal = known_names(findings.catalog)
    onset = _onset(fmap, root)
    found: dict[str, list[str]] = {}
    for evidence_id, text in fresh_lines(findings, root, onset - WINDOW_SLACK):
        for match in (m for pattern in _UPSTREAM_DOWN for m in pattern.finditer(text)):
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
        f"{root} is failing because {provider}, outside the catalog, stopped serving it: its own lines"
        f" say so from {hhmm(onset)}",
        evidence=[*ids[:2], *fmap.first_evidence(root)],
        timing=True,
        content=True,
        explains=True,
    )


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
        links.append({"text": text, "evidence": ids or fmap.first_evidence(callee)})
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
        onset = _onset(fmap, root)
        if not any(lines_up(findings, h, onset) for h, _ in found) and _upstream_provider(findings, fmap, root):
            # Its own lines say a provider outside the company failed it now: an older change
            # that only shares words with the failure does not outrank that.
            found = []
        if not found and not (dependency and dependency.explained_by):
            worse = _worsening(findings, fmap, during, root)
            if worse is not None:
                hypotheses.append(worse)
                found = [(worse, [])]
        if not found and not (dependency and dependency.explained_by):
            upstream = _upstream_provider(findings, fmap, root)
            if upstream is not None:
                hypotheses[:] = [h for h in hypotheses if (h.kind, h.ref) != ("external", upstream.ref)]
                hypotheses.append(upstream)
                for finding in [dependency] if dependency else []:
                    finding.explained_by = upstream.label
                    finding.summary += f"; its own lines say {upstream.ref} failed under it"
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
                fmap.first_evidence(earlier[0]),
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
            f" '{short_quote(change.quoted)}'; a new failure began right after and has not stopped: '{short_quote(text)}'",
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


