"""The checks every sentence the model writes must pass before it reaches the packet. Pure.

A sentence is kept only when it cites evidence ids the packet holds, claims no more confidence
than the analysis gave, names no production action outside the approval flow, and carries no
redacted or personal data. Anything else is dropped, with the reason, for the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collectors.redaction import redact_text
from collectors.redaction.markers import MARKER_PREFIX
from incidentdesk.analysis.packet import scrub

CONFIDENCE_RANK = {"low": 1, "medium": 2, "high": 3}
CERTAIN = 4  # above anything the analysis ever says
MAX_SENTENCE_CHARS = 320
QUOTE_CHARS = (12, 400)

_CITATION = re.compile(r"\[([^\[\]]*)\]")
_ID = re.compile(r"^E\d+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b[^.]{0,40}\b(instructions?|prompts?|rules)\b|system prompt|"
    r"\byou are now\b|\bnew instructions\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(I(?![/-])|I'(?:ve|m|ll|d)|my|[Ww]e|[Ww]e'(?:ve|re|ll)|[Oo]ur)\b")
_APPROVAL_CLAIM = re.compile(
    r"\b(approv(?:e|ed|es|ing)|pre-?approved|authori[sz](?:e|ed|es|ing|ation)|sign(?:ed)?[- ]off|"
    r"green[- ]?lit|go[- ]ahead)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(roll(?:s|ed|ing)?[\s-]?back|rollbacks?|revert(?:s|ed|ing)?|"
    r"scal(?:e|es|ed|ing)\s+(?:it\s+|the\s+\S+\s+)?(?:up|out|down|in)\b|scale-?out|"
    r"add\s+(?:more\s+)?(?:replicas|capacity|instances|pods)|"
    r"restart(?:s|ed|ing)?|reboot\w*|bounce\w*|redeploy\w*|"
    r"toggl\w+|flip(?:s|ped|ping)?|"
    r"(?:disable|enable|turn(?:ing)?\s+(?:off|on)|switch(?:ing)?\s+(?:off|on))"
    r"\s+(?:the\s+)?(?:[\w.-]+\s+)?flag|"
    r"kill[- ]switch|"
    r"(?:update|post\w*\s+(?:to|on)|publish\w*\s+(?:to|on))"
    r"\s+(?:the\s+|a\s+)?(?:customer[- ]facing\s+)?status[- ]?page|"
    r"status update|(?:notify|tell|inform|email)\s+(?:the\s+|all\s+)?customers)",
    re.IGNORECASE,
)
_NEEDS_APPROVAL = re.compile(
    r"\b(requires?|needs?|needing|requiring|awaits?|awaiting|pending|subject to|only (?:with|after)|"
    r"waits? for)\s+"
    r"(?:an?\s+|the\s+)?(?:[\w-]+(?:'s)?\s+){0,2}approval\b",
    re.IGNORECASE,
)
_URGENT = re.compile(r"\b(now|immediately|right away|asap|at once)\b", re.IGNORECASE)
_CLAIMS_UNSAFE = re.compile(
    r"\b(unsafe|not safe|irreversible|would (?:do harm|break)|harmful|risky)\b", re.IGNORECASE
)
_CLAIMS_SAFE = re.compile(r"\b(safe|harmless|risk-free|no risk)\b", re.IGNORECASE)

_CERTAIN = re.compile(
    r"\b(definitely|definite|certain|certainly|undoubtedly|unquestionabl[ey]|without (?:a |any )?doubt|"
    r"no doubt|beyond (?:any )?doubt|proven|proves|confirmed|confirms|guaranteed|for sure|obviously|"
    r"clearly|absolutely|conclusively|must be|must have)\b|\b100\s?%\s+(?:sure|certain)",
    re.IGNORECASE,
)
_HIGH = re.compile(
    r"\b(root[- ]cause|high confidence|highly likely|very likely|most likely|strongly)\b", re.IGNORECASE
)
_CAUSAL = re.compile(
    r"\b(caused by|caused|causing|the cause|is responsible|was responsible|due to|because of|"
    r"result of|triggered by|led to|leading to|broke)\b",
    re.IGNORECASE,
)
_MEDIUM = re.compile(
    r"\b(likely|probably|probable|medium confidence|suggests?|points? to|consistent with|"
    r"appears? to|seems? to)\b",
    re.IGNORECASE,
)
_LOW = re.compile(
    r"\b(possibly|possible|may|might|could|low confidence|unclear|not known|unknown|uncertain)\b",
    re.IGNORECASE,
)
_SEVERITY = re.compile(r"\bsev\s?-?([0-9])\b", re.IGNORECASE)
_OWNER_CLAIM = re.compile(
    r"\b(owned by|owns|owner (?:is|was|should be)|belongs to|ownership)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Context:
    """What the deterministic packet fixed, and which evidence ids may be cited."""

    allowed_ids: frozenset[str]
    confidence: int  # rank of the top hypothesis; low when there is none
    severity: str
    causes: tuple[str, ...]  # refs of the packet's hypotheses (lowercase)
    rollback_safety: frozenset[bool]
    people: tuple[str, ...]  # owner and current owner team and on-call names (lowercase)


def context_of(packet: dict, extra_ids: set[str] | frozenset[str] = frozenset()) -> Context:
    hypotheses = [h for h in packet.get("hypotheses") or [] if h.get("kind") != "unknown"]
    top = CONFIDENCE_RANK.get((hypotheses[0] if hypotheses else {}).get("confidence"), 1)
    people = set()
    for key in ("owner", "current_owner"):
        for field in ("team", "oncall"):
            value = (packet.get(key) or {}).get(field)
            if value:
                people |= {str(value).lower(), str(value).replace("-", " ").lower()}
    return Context(
        allowed_ids=frozenset({e.get("id") for e in packet.get("evidence") or []} | set(extra_ids)),
        confidence=top,
        severity=str(packet.get("severity") or ""),
        causes=tuple(str(h.get("ref")).lower() for h in hypotheses if h.get("ref")),
        rollback_safety=frozenset(
            a.get("safe") for a in packet.get("requires_approval") or [] if a.get("action") == "rollback"
        ),
        people=tuple(sorted(people)),
    )


@dataclass(frozen=True)
class Checked:
    text: str
    evidence: tuple[str, ...]
    why: str | None  # None: kept

    @property
    def kept(self) -> bool:
        return self.why is None


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def citations(text: str) -> tuple[str, list[str], bool]:
    """The text without its citation brackets, the ids cited, and whether a bracket held a non-id."""
    cited: list[str] = []
    odd = False

    def take(match: re.Match[str]) -> str:
        nonlocal odd
        tokens = [t for t in re.split(r"[,;\s]+", match.group(1)) if t]
        if tokens and all(_ID.match(t) for t in tokens):
            cited.extend(tokens)
            return ""
        if any(_ID.match(t) for t in tokens):
            odd = True
        return match.group(0)

    bare = _CITATION.sub(take, text)
    bare = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(bare.split())).strip()
    return bare, list(dict.fromkeys(cited)), odd


def leaks(text: str) -> bool:
    """A redaction marker, or anything the collectors' redaction or the packet's scrub would hide."""
    if MARKER_PREFIX.lower() in text.lower():
        return True
    return bool(redact_text(text)[1]) or scrub(text) != text


def claimed_confidence(text: str) -> int:
    if _CERTAIN.search(text):
        return CERTAIN
    if _HIGH.search(text):
        return CONFIDENCE_RANK["high"]
    hedged_low, hedged_medium = bool(_LOW.search(text)), bool(_MEDIUM.search(text))
    if _CAUSAL.search(text):
        # A cause stated flatly is a high-confidence claim; hedged, it is as strong as its hedge.
        if hedged_low:
            return CONFIDENCE_RANK["low"]
        return CONFIDENCE_RANK["medium"] if hedged_medium else CONFIDENCE_RANK["high"]
    if hedged_medium:
        return CONFIDENCE_RANK["medium"]
    return CONFIDENCE_RANK["low"]


def policy_problem(text: str, ctx: Context) -> str | None:
    if _APPROVAL_CLAIM.search(text):
        return "claims or asks for an approval"
    action = _ACTION.search(text)
    if not action:
        return None
    if not _NEEDS_APPROVAL.search(text):
        return f"names the action '{action.group(0)}' outside the approval flow"
    if _URGENT.search(text):
        return f"urges the action '{action.group(0)}'"
    if re.search(r"roll", action.group(0), re.IGNORECASE):
        if _CLAIMS_UNSAFE.search(text) and False not in ctx.rollback_safety:
            return "calls a rollback unsafe that the analysis did not"
        if not _CLAIMS_UNSAFE.search(text) and _CLAIMS_SAFE.search(text) and True not in ctx.rollback_safety:
            return "calls a rollback safe that the analysis did not"
    return None


def check_sentence(sentence: str, ctx: Context) -> Checked:
    """Keep or drop one sentence; the first failed rule is the reason."""
    text, cited, odd = citations(sentence)
    why = None
    lowered = text.lower()
    if leaks(sentence):
        why = "mentions redacted or personal data"
    elif _INSTRUCTION.search(sentence):
        why = "repeats instruction-like text from the data"
    elif not cited:
        why = "cites no evidence"
    elif odd or any(c not in ctx.allowed_ids for c in cited):
        why = "cites evidence the packet does not hold"
    elif len(text) > MAX_SENTENCE_CHARS or len(text.split()) < 3:
        why = "not a sentence of a useful length"
    elif _FIRST_PERSON.search(text):
        why = "speaks in the first person"
    elif (problem := policy_problem(text, ctx)) is not None:
        why = problem
    elif claimed_confidence(text) > ctx.confidence:
        why = "claims more confidence than the analysis"
    elif (_CAUSAL.search(text) or claimed_confidence(text) >= 2) and not any(
        c in lowered for c in ctx.causes
    ):
        why = "names a cause that is not one of the packet's hypotheses"
    elif any(f"sev{m}" != ctx.severity for m in _SEVERITY.findall(text)):
        why = "states a different severity"
    elif _OWNER_CLAIM.search(text) and not any(p in lowered for p in ctx.people):
        why = "names an owner the packet does not"
    return Checked(text, tuple(cited), why)


def check_text(text: str, ctx: Context) -> list[Checked]:
    """Each sentence of a piece of model text, checked on its own."""
    return [check_sentence(s, ctx) for s in split_sentences(text)]


def _normal(text: str) -> str:
    return " ".join(text.split())


def _heading(text: str) -> str:
    return _normal(text.strip().lstrip("#").strip().strip('"').strip()).lower()


def check_quote(
    item: dict, runbooks: dict[str, tuple[tuple[str, str], ...]], ctx: Context
) -> tuple[dict | None, str]:
    """Keep a runbook quote only when it is verbatim in the cited runbook's section under that heading."""
    heading = _heading(str(item.get("heading") or ""))
    quote = _normal(str(item.get("quote") or "")).strip().strip('"“”').strip()
    raw = item.get("evidence")
    cited = [str(c).strip("[] ") for c in (raw if isinstance(raw, list) else [raw]) if c]
    shown = f"{heading}: {quote}"
    if leaks(quote) or leaks(heading):
        return None, "mentions redacted or personal data"
    if _INSTRUCTION.search(quote):
        return None, "repeats instruction-like text from the data"
    if not (QUOTE_CHARS[0] <= len(quote) <= QUOTE_CHARS[1]):
        return None, "quote too short or too long"
    runbook_ids = [c for c in cited if c in runbooks and c in ctx.allowed_ids]
    if len(runbook_ids) != 1 or len(cited) != 1:
        return None, f"cites no single runbook ({shown[:60]})"
    for section_heading, body in runbooks[runbook_ids[0]]:
        if _heading(section_heading) == heading:
            if quote in _normal(body):
                return {"heading": section_heading, "quote": quote, "evidence": runbook_ids}, ""
            return None, "quote is not verbatim in that section"
    return None, "no such heading in the runbook"
