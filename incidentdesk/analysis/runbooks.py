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


_RESTART = re.compile(r"(^|[.!]\s+|\n\s*(?:\d+\.|-)\s*)restart\b[^.]*", re.I)
_NEGATED = re.compile(r"\b(not|never|don't|do not|doesn't|does not|no)\b", re.I)


def suggests_restart(section: Section | None) -> bool:
    """The section tells the reader to restart something (not merely mentions restarts)."""
    if section is None:
        return False
    return any(not _NEGATED.search(m.group(0)) for m in _RESTART.finditer(section.body))
