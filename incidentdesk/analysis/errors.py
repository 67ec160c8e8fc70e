"""Error groups (Sentry-like issues): new at the onset, or old background noise."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.analysis.inputs import EvidenceItem
from incidentdesk.analysis.timeutil import parse_time

# Error trackers group with some delay; a first event this long before the onset
# still counts as the same failure.
ONSET_TOLERANCE = timedelta(minutes=3)


@dataclass(frozen=True)
class ErrorGroup:
    evidence_id: str
    ref: str
    service: str
    title: str
    culprit: str
    first_seen: datetime | None
    last_seen: datetime | None
    count: int
    release: str
    frames: tuple[tuple[str, str], ...]  # (filename, function)
    message: str

    @property
    def text(self) -> str:
        return f"{self.title} {self.message}"

    def is_new(self, onset: datetime | None) -> bool:
        if self.first_seen is None or onset is None:
            return False
        return self.first_seen >= onset - ONSET_TOLERANCE


def read_errors(evidence: list[EvidenceItem]) -> list[ErrorGroup]:
    out: list[ErrorGroup] = []
    for item in evidence:
        if item.source != "errors":
            continue
        data = item.data
        frames = tuple(
            (str(f.get("filename") or ""), str(f.get("function") or ""))
            for f in data.get("frames") or []
            if isinstance(f, dict)
        )
        sample = data.get("sample") or {}
        try:
            count = int(data.get("count") or 0)
        except (TypeError, ValueError):
            count = 0
        out.append(
            ErrorGroup(
                evidence_id=item.id,
                ref=str(data.get("id") or item.ref),
                service=data.get("service") or item.service or "",
                title=str(data.get("title") or ""),
                culprit=str(data.get("culprit") or ""),
                first_seen=parse_time(data.get("first_seen")),
                last_seen=parse_time(data.get("last_seen")),
                count=count,
                release=str(data.get("release") or ""),
                frames=frames,
                message=str(sample.get("message") or "") if isinstance(sample, dict) else "",
            )
        )
    return out


def new_errors(errors: list[ErrorGroup], onset: datetime | None, services: set[str]) -> list[ErrorGroup]:
    found = [e for e in errors if e.service in services and e.is_new(onset)]
    return sorted(found, key=lambda e: -e.count)
