"""What a postmortem reads of the packets: their versions as milestones, the signals, and the
hypothesis that named the confirmed cause, with its chain and the evidence it cites.

Plain functions over the packet JSON (SCENARIO.md, "Packet").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from incidentdesk.analysis.timeutil import parse_time
from incidentdesk.causes import Cause, hypothesis_cause, same_cause
from incidentdesk.postmortem.content import Entry, Link

CHANGE_SOURCES = ("deploys", "feature_flags", "change_calendar")


@dataclass(frozen=True)
class PacketVersion:
    version: int
    at: datetime
    complete: bool
    severity: str
    first: dict | None  # the first hypothesis, as the packet states it


@dataclass(frozen=True)
class Ranked:
    """A hypothesis of a packet and its place in the list, 1 for the first."""

    rank: int
    hypothesis: dict


def _headline(p: PacketVersion) -> str:
    severity = f"severity {p.severity}" if p.severity else "no severity"
    if not p.first:
        return f"{severity}; no hypothesis"
    confidence = p.first.get("confidence") or "low"
    return f"{severity}; first hypothesis {hypothesis_cause(p.first).label} ({confidence})"


def packet_entries(versions: list[PacketVersion]) -> list[Entry]:
    """The versions a reader needs: the first, the first complete one, the last, and each that
    changed the severity or the first hypothesis; versions that changed only details are left out."""
    complete = next((p.version for p in versions if p.complete), None)
    entries, told = [], None
    for i, p in enumerate(versions):
        headline = _headline(p)
        if headline == told and p.version != complete and i != len(versions) - 1:
            continue
        label = f"Packet v{p.version}"
        if p.version == complete:
            label += ", the first complete"
        elif not p.complete:
            label += ", sources still answering"
        entries.append(Entry(f"{label}: {headline}", p.at))
        told = headline
    return entries


def _ids(items: Iterable) -> list[str]:
    return [str(i) for i in items or [] if i]


def _cited(text: str, ids: list[str]) -> str:
    return f"{text} ({', '.join(ids)})" if ids else text


def signal_entries(data: dict) -> list[Entry]:
    return [Entry(_cited(str(s.get("text") or ""), _ids(s.get("evidence"))))
            for s in data.get("signals") or [] if isinstance(s, dict)]


def hypothesis_for(data: dict, cause: Cause) -> Ranked | None:
    """The packet's hypothesis that names `cause` (the best placed one), or None."""
    for rank, h in enumerate(data.get("hypotheses") or [], start=1):
        if isinstance(h, dict) and same_cause(hypothesis_cause(h), cause):
            return Ranked(rank, h)
    return None


def cited_ids(h: dict) -> list[str]:
    """Every evidence id the hypothesis cites, its chain's included, in the order cited."""
    ids = _ids(h.get("evidence"))
    for link in h.get("chain") or []:
        if isinstance(link, dict):
            ids += _ids(link.get("evidence"))
    return list(dict.fromkeys(ids))


def cited_evidence(data: dict, h: dict) -> list[tuple[str, dict]]:
    """(id, the packet's evidence item) for each id the hypothesis cites that the packet holds."""
    evidence = {str(e["id"]): e for e in data.get("evidence") or [] if isinstance(e, dict) and e.get("id")}
    return [(eid, evidence[eid]) for eid in cited_ids(h) if eid in evidence]


def hypothesis_entry(h: dict) -> Entry:
    return Entry(_cited(f"{h.get('summary') or hypothesis_cause(h).label} ({h.get('confidence') or 'low'})",
                        _ids(h.get("evidence"))))


def chain_entries(h: dict) -> list[Entry]:
    return [Entry(_cited(str(link.get("text") or ""), _ids(link.get("evidence"))))
            for link in h.get("chain") or [] if isinstance(link, dict)]


def _citation(eid: str, item: dict) -> Entry:
    url = str(item.get("url") or "")
    source = str(item.get("source") or "").replace("_", " ")
    return Entry(f"{eid} {source}: {item.get('summary') or item.get('ref') or ''}",
                 links=(Link("source", url),) if url else ())


def citation_entries(data: dict, h: dict) -> list[Entry]:
    return [_citation(eid, item) for eid, item in cited_evidence(data, h)]


def change_entries(data: dict, h: dict) -> list[Entry]:
    """The changes the hypothesis cites (deploys, flag changes, calendar events), for the timeline."""
    return [Entry(f"Change: {item.get('summary') or item.get('ref')} ({eid})",
                  parse_time(item.get("observed_at")))
            for eid, item in cited_evidence(data, h) if item.get("source") in CHANGE_SOURCES]


def pull_request_links(data: dict, h: dict) -> list[Link]:
    """The pull requests the hypothesis cites, as links."""
    return [Link(str(item.get("summary") or f"Pull request {item.get('ref')}"), str(item["url"]))
            for _, item in cited_evidence(data, h)
            if item.get("source") == "pull_requests" and item.get("url")]
