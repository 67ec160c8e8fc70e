"""A candidate cause, how sure the desk is of it, and how candidates are ranked."""

from dataclasses import dataclass, field

CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}


@dataclass
class Hypothesis:
    kind: str  # deploy | feature_flag | dependency | config_change | capacity | external | unknown
    ref: str | None
    confidence: str
    summary: str
    evidence: list[str] = field(default_factory=list)
    against: list[str] = field(default_factory=list)
    service: str | None = None  # the catalog service where the cause lies
    timing: bool = False  # lines up with the onset
    content: bool = False  # its content points at the failing path
    closeness: float = 0.0  # tie-breaker: higher is a better fit

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "confidence": self.confidence,
            "summary": self.summary,
            "evidence": _unique(self.evidence),
            "against": _unique(self.against),
        }


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def cap(confidence: str, ceiling: str) -> str:
    return confidence if CONFIDENCE_RANK[confidence] <= CONFIDENCE_RANK[ceiling] else ceiling


def confidence_from(timing: bool, content: bool) -> str:
    """High needs independent lines (timing and content); one line alone is medium."""
    if timing and content:
        return "high"
    if timing or content:
        return "medium"
    return "low"


def ranked(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    return sorted(
        hypotheses,
        key=lambda h: (-CONFIDENCE_RANK[h.confidence], -(h.timing + h.content), -h.closeness),
    )


def unknown(reason: str) -> Hypothesis:
    return Hypothesis(kind="unknown", ref=None, confidence="low", summary=f"Cause not known yet: {reason}")
