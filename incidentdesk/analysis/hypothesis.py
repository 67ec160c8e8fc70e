"""A candidate cause, how sure the desk is of it, and how candidates are ranked."""

from dataclasses import dataclass, field

CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}
# Hypotheses about something someone changed, as opposed to a system failing.
CHANGE_KINDS = frozenset({"deploy", "feature_flag", "config_change"})


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
    ruled_out: bool = False  # listed to say it is not the cause (after the onset, out of scope)
    on_healthy: bool = False  # ruled out because its service looks healthy; a chain may bring it back
    recent: bool = False  # a planned change that ended within the day before the onset
    # The change's own content is echoed by the failure (its diff in the failing frames, its
    # description in the failure's words), as opposed to its service merely failing or named.
    echo: bool = False
    explains: bool = False  # a change at the end of the failure chain that explains it
    objections: list[str] = field(default_factory=list)  # what speaks against it, in words
    chain: list[dict] = field(default_factory=list)  # change -> component -> symptom, cited link by link
    check: str = ""  # for "not known yet": the one check that would decide it
    explained_by: str = ""  # a finding (a failing dependency) that another hypothesis explains

    @property
    def label(self) -> str:
        """How the hypothesis is named in a sentence: `deploy d-2`, `flag new-engine`."""
        if self.kind == "deploy":
            return f"deploy {self.ref}"
        if self.kind == "feature_flag":
            return f"flag {self.ref}"
        if self.kind == "config_change":
            return f"change {self.ref}" if self.ref else "the change in the logs"
        if self.kind == "dependency":
            return f"{self.ref} failing"
        return f"{self.kind.replace('_', ' ')} {self.ref or ''}".strip()

    def object(self, reason: str, ids: list[str]) -> None:
        """Record evidence against; an objection with nothing to cite is not made."""
        ids = [i for i in ids if i]
        if ids and reason not in self.objections:
            self.objections.append(reason)
            self.against += [i for i in ids if i not in self.against]

    def as_dict(self) -> dict:
        out = {
            "kind": self.kind,
            "ref": self.ref,
            "confidence": self.confidence,
            "summary": self.summary,
            "evidence": _unique(self.evidence),
            "against": _unique(self.against),
        }
        if self.objections:
            out["against_reasons"] = list(self.objections)
        if self.chain:
            out["chain"] = [{"text": link["text"], "evidence": _unique(link["evidence"])} for link in self.chain]
        return out


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def cap(confidence: str, ceiling: str) -> str:
    return confidence if CONFIDENCE_RANK[confidence] <= CONFIDENCE_RANK[ceiling] else ceiling


def ranked(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Best first. Evidence against that nothing answers puts a hypothesis below every one without."""
    return sorted(
        hypotheses,
        key=lambda h: (
            bool(h.against),
            -CONFIDENCE_RANK[h.confidence],
            not h.explains,
            -(h.timing + h.content),
            -h.closeness,
        ),
    )


def unknown(reason: str) -> Hypothesis:
    return Hypothesis(kind="unknown", ref=None, confidence="low", summary=f"Cause not known yet: {reason}")


MAX_QUOTE = 90


def short_quote(text: str) -> str:
    """A log line or title as quoted in a summary: one line, cut at a readable length."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"
