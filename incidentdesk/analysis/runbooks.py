"""Runbooks: find the service's runbook, the section that matches the signal, its dashboards."""

import re
from dataclasses import dataclass

from incidentdesk.analysis.catalog import services_by_name
from incidentdesk.analysis.inputs import EvidenceItem

_HEADING = re.compile(r"^(#{2,4})\s+(.+?)\s*#*\s*$")
_WORD = re.compile(r"[a-z0-9]+")
GENERIC_HEADINGS = frozenset(
    {"what it does", "dashboards", "rollback", "escalation", "owner", "contacts", "overview"}
)


@dataclass(frozen=True)
class Section:
    heading: str
    marker: str  # "##"
    body: str

    @property
    def quoted(self) -> str:
        return f"{self.marker} {self.heading}"


@dataclass(frozen=True)
class Runbook:
    key: str
    evidence_id: str
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.heading.lower() == name), None)


def parse_sections(text: str) -> tuple[Section, ...]:
    sections: list[Section] = []
    current: tuple[str, str] | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            if current:
                sections.append(Section(current[1], current[0], "\n".join(lines).strip()))
            current, lines = (match.group(1), match.group(2)), []
        elif current:
            lines.append(line)
    if current:
        sections.append(Section(current[1], current[0], "\n".join(lines).strip()))
    return tuple(sections)


def runbook_for(service: str | None, catalog: dict, evidence: list[EvidenceItem]) -> Runbook | None:
    key = (services_by_name(catalog).get(service or "") or {}).get("runbook")
    if not key:
        return None
    for item in evidence:
        if item.source == "runbooks" and (item.ref == key or item.data.get("key") == key):
            text = str(item.data.get("text") or "")
            return Runbook(key, item.id, parse_sections(text)) if text.strip() else None
    return None


def words(text: str) -> set[str]:
    out = set()
    for word in _WORD.findall(text.lower()):
        out.add(word)
        if word.endswith("s") and len(word) > 3:
            out.add(word[:-1])
    return out


def best_section(runbook: Runbook, vocabulary: set[str]) -> Section | None:
    """The section whose heading (weighted) and body share most words with the signals."""
    best, best_score = None, 0.0
    for section in runbook.sections:
        if section.heading.lower() in GENERIC_HEADINGS:
            continue
        score = 3 * len(words(section.heading) & vocabulary) + len(words(section.body) & vocabulary) * 0.5
        if score > best_score:
            best, best_score = section, score
    return best if best_score >= 3 else None


def dashboards(runbook: Runbook) -> list[str]:
    section = runbook.section("dashboards")
    if not section:
        return []
    return [
        line.lstrip("-* ").strip()
        for line in section.body.splitlines()
        if line.strip().startswith(("-", "*"))
    ]


_NEGATED = re.compile(r"\b(not|never|don't|do not|doesn't|does not|no)\b", re.I)
# A step is an instruction: at the start of a sentence or of a list item.
_STEP = r"(?:^|[.!]\s+|\n\s*(?:\d+\.|-|\*)\s*)"
_STEPS = (
    ("restart", re.compile(_STEP + r"(?:restart|bounce|recycle|roll(?:ing)? restart)\b[^.\n]*", re.I)),
    ("scale", re.compile(_STEP + r"(?:scale (?:out|up)|add (?:capacity|replicas|instances|nodes)"
                          r"|raise (?:the )?(?:replica|instance) count)\b[^.\n]*", re.I)),
    ("flag_toggle", re.compile(_STEP + r"(?:turn off|disable|switch off|toggle|flip)\b[^.\n]*\b(?:flag|feature)"
                               r"[^.\n]*", re.I)),
)
_FLAG_KEY = re.compile(r"`([\w.:-]+)`|\bflag ([\w.:-]*[-_][\w.:-]+)", re.I)


def production_steps(section: Section | None) -> list[tuple[str, str, str | None]]:
    """(action, the step as written, a flag key it names) for each step of the section that
    changes production: restart, scale out, turn a flag off. Negated steps are not steps."""
    if section is None:
        return []
    found = []
    for action, pattern in _STEPS:
        for match in pattern.finditer(section.body):
            step = match.group(0).strip(" .\n-*0123456789")
            if _NEGATED.search(step):
                continue
            key = None
            if action == "flag_toggle":
                named = _FLAG_KEY.search(step)
                key = next((g for g in named.groups() if g), None) if named else None
            found.append((action, step, key))
            break
    return found
