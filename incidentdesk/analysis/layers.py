"""Shared layers: failures that started together, the same change on several services' hosts,
dependencies healthy on their own side while callers time out on them (the network path)."""

import re

from incidentdesk.analysis.catalog import known_names
from incidentdesk.analysis.chain import FailureMap
from incidentdesk.analysis.findings import Findings, raw_text
from incidentdesk.analysis.hypothesis import Hypothesis, short_quote
from incidentdesk.analysis.logchanges import LogChange, shared_changes, telling_line
from incidentdesk.analysis.logged import covering_calendar
from incidentdesk.analysis.systems import provider_of_host
from incidentdesk.analysis.timeutil import hhmm


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
    peer_ids = [i for p in peers for i in fmap.first_evidence(p)[:1]]
    if peers:
        apart = f"{', '.join(peers)} began failing within minutes of each other with no dependency between them"
        for h in hypotheses:
            if h.kind == "dependency" and h.ref in peers:
                others = [i for p in peers if p != h.ref for i in fmap.first_evidence(p)[:1]]
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
                if h.kind == "config_change" and h.service is None and covering_calendar(first, [h], findings)
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
            f" '{short_quote(telling.sample)}': a shared layer (host OS, platform, agent) changed under them",
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
