"""Causes as responders confirm them, and how one is judged against the packet's first hypothesis.

Plain functions over plain data (no ORM), so the rule that decides "right" or "wrong" is tested
without a database and reads the same wherever it is applied.

The rule: the desk was right when the confirmed cause is the same cause as the packet's first
hypothesis: the same kind and, for kinds that name one thing (a deploy id, a flag key, a
dependency's catalog name, a change-calendar uid), the same ref, compared as text with the
surrounding spaces dropped. `capacity` and `external` are compared by kind only, as the evals
compare them (SCENARIO.md). A packet with no hypothesis, or whose first one is `unknown`, said
"not known": that is neither right nor wrong. A named cause that responders did not confirm
(they confirmed another, or "unknown") is wrong.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

CAUSE_KINDS = ("deploy", "feature_flag", "dependency", "config_change", "capacity", "external", "unknown")
KIND_LABELS = {
    "deploy": "Deploy",
    "feature_flag": "Flag change",
    "dependency": "Dependency",
    "config_change": "Config change",
    "capacity": "Capacity",
    "external": "External",
    "unknown": "Not known",
}
# Kinds the evals check by kind alone: a saturated service or a third party is named loosely.
MATCHED_BY_KIND_ONLY = frozenset({"capacity", "external"})
MAX_REF = 300
MAX_SUMMARY = 500


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    DESK_UNKNOWN = "desk_unknown"

    @property
    def label(self) -> str:
        return {"right": "right", "wrong": "wrong", "desk_unknown": "desk said unknown"}[self.value]

    @property
    def phrase(self) -> str:
        return {"right": "Desk was right", "wrong": "Desk was wrong", "desk_unknown": "Desk said unknown"}[self.value]


@dataclass(frozen=True)
class Cause:
    kind: str
    ref: str = ""
    summary: str = ""

    @property
    def key(self) -> str:
        """How a form names this cause: `deploy:d-77`, `unknown:`."""
        return f"{self.kind}:{self.ref}"

    @property
    def label(self) -> str:
        name = KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())
        return f"{name} {self.ref}".strip()

    @property
    def is_unknown(self) -> bool:
        return self.kind in ("", "unknown")


def hypothesis_cause(h: dict) -> Cause:
    """A hypothesis of a packet's JSON as a Cause."""
    return Cause(str(h.get("kind") or "unknown"), str(h.get("ref") or ""), str(h.get("summary") or ""))


def same_cause(a: Cause, b: Cause) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind in MATCHED_BY_KIND_ONLY or a.kind == "unknown":
        return True
    return a.ref.strip() == b.ref.strip()


def cause_verdict(*, desk: Cause | None, confirmed: Cause) -> Verdict:
    """The packet's first hypothesis (`desk`, None when it had none) against the confirmed cause."""
    if desk is None or desk.is_unknown:
        return Verdict.DESK_UNKNOWN
    return Verdict.RIGHT if same_cause(desk, confirmed) else Verdict.WRONG


def cause_from_key(key: str, options: Iterable[Cause]) -> Cause | None:
    """The offered cause a form's value names, or None when nothing offered has that key."""
    return next((c for c in options if c.key == key), None)


@dataclass(frozen=True)
class EvidenceRecord:
    """What the cause picker reads of one evidence row."""

    id: str
    source: str
    service: str
    data: dict


def evidence_causes(records: Iterable[EvidenceRecord], *, service: str) -> list[Cause]:
    """Causes a responder may pick from the run's evidence: each change it holds (deploys, flag
    changes, change-calendar events), each other service it saw (as a failing dependency), each
    service with a saturation series (capacity). One entry per cause, in the order found."""
    found: dict[str, Cause] = {}
    services: list[str] = []

    def add(cause: Cause) -> None:
        if cause.ref and cause.key not in found:
            found[cause.key] = Cause(cause.kind, cause.ref[:MAX_REF], cause.summary[:MAX_SUMMARY])

    for record in records:
        d = record.data if isinstance(record.data, dict) else {}
        if record.service and record.service not in services:
            services.append(record.service)
        if record.source == "deploys":
            add(Cause("deploy", str(d.get("id") or ""),
                      f"Deploy {d.get('id')} of {d.get('service') or record.service}: {d.get('description') or ''}"))
        elif record.source == "feature_flags":
            add(Cause("feature_flag", str(d.get("key") or ""),
                      f"Flag {d.get('key')} changed on {d.get('service') or record.service} by {d.get('actor')}"))
        elif record.source == "change_calendar":
            add(Cause("config_change", str(d.get("uid") or ""), f"{d.get('kind') or 'change'}: {d.get('title')}"))
        elif record.source == "metrics" and d.get("name") == "saturation":
            add(Cause("capacity", record.service, f"{record.service} ran out of capacity"))
    for name in services:
        if name != service:
            add(Cause("dependency", name, f"{name} failing"))
    return sorted(found.values(), key=lambda c: CAUSE_KINDS.index(c.kind))
