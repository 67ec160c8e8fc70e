"""Metric series: when each left its baseline, by how much, and how to say it."""

from dataclasses import dataclass
from datetime import datetime

from incidentdesk.analysis.changepoint import Onset, detect_onset
from incidentdesk.analysis.inputs import EvidenceItem
from incidentdesk.analysis.timeutil import parse_time

SYMPTOM_METRICS = ("error_rate", "latency_p99_ms")
# A symptom counts as a degradation from this multiple of its baseline (the
# default policy's sev3 line); smaller shifts are reported but drive nothing.
DEGRADED_RATIO = 1.5
# Error rates are fractions; below this absolute rise a ratio means little.
MIN_ERROR_RATE_RISE = 0.005
# Traffic that fell to this fraction of its baseline has collapsed: callers stopped reaching it.
COLLAPSED_RATIO = 0.5


@dataclass(frozen=True)
class SeriesShift:
    evidence_id: str
    service: str
    name: str
    onset_at: datetime
    onset: Onset
    times: tuple[datetime, ...]
    values: tuple[float, ...]

    @property
    def ratio(self) -> float:
        base = abs(self.onset.baseline)
        return abs(self.onset.current) / base if base > 0 else float("inf")

    @property
    def rose(self) -> bool:
        return self.onset.direction > 0

    @property
    def degraded(self) -> bool:
        """A symptom metric that rose well past its baseline and has not come back."""
        if self.name not in SYMPTOM_METRICS or not self.rose or self.onset.recovered:
            return False
        if self.ratio < DEGRADED_RATIO:
            return False
        if self.name == "error_rate":
            return self.onset.current - self.onset.baseline >= MIN_ERROR_RATE_RISE
        return True

    @property
    def collapsed(self) -> bool:
        """Traffic that fell far below its baseline and stayed there."""
        return (
            self.name == "requests_per_s"
            and not self.rose
            and not self.onset.recovered
            and self.onset.baseline > 0
            and self.onset.current <= COLLAPSED_RATIO * self.onset.baseline
        )


@dataclass(frozen=True)
class Series:
    evidence_id: str
    service: str
    name: str
    times: tuple[datetime, ...]
    values: tuple[float, ...]
    step_seconds: int
    source: str = ""  # the vendor that measured it (datadog, prometheus, ...)


def read_series(evidence: list[EvidenceItem]) -> list[Series]:
    out: list[Series] = []
    for item in evidence:
        if item.source != "metrics":
            continue
        data = item.data
        points = []
        for point in data.get("points") or []:
            when = parse_time(point[0]) if len(point) > 1 else None
            if when is None or point[1] is None:
                continue
            try:
                points.append((when, float(point[1])))
            except (TypeError, ValueError):
                continue
        points.sort(key=lambda p: p[0])
        out.append(
            Series(
                evidence_id=item.id,
                service=data.get("service") or item.service or "",
                name=data.get("name") or "",
                times=tuple(p[0] for p in points),
                values=tuple(p[1] for p in points),
                step_seconds=int(data.get("step_seconds") or 60),
                source=str(data.get("source") or ""),
            )
        )
    return out


def shift_of(series: Series) -> SeriesShift | None:
    onset = detect_onset(series.values)
    if onset is None:
        return None
    return SeriesShift(
        evidence_id=series.evidence_id,
        service=series.service,
        name=series.name,
        onset_at=series.times[onset.index],
        onset=onset,
        times=series.times,
        values=series.values,
    )


def format_value(name: str, value: float) -> str:
    if name in ("error_rate", "saturation"):
        pct = value * 100
        return f"{pct:.1f}%" if pct >= 0.1 or pct == 0 else f"{pct:.2f}%"
    if name == "latency_p99_ms":
        return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"
    if name == "requests_per_s":
        return f"{value:.0f} req/s"
    return f"{value:.3g}"


METRIC_LABELS = {
    "error_rate": "Error rate",
    "latency_p99_ms": "p99 latency",
    "requests_per_s": "Traffic",
    "saturation": "Saturation",
}


def describe_shift(shift: SeriesShift, run_service: str | None) -> str:
    label = METRIC_LABELS.get(shift.name, shift.name)
    where = "" if shift.service == run_service else f" of {shift.service}"
    verb = "rose" if shift.rose else "fell"
    text = (
        f"{label}{where} {verb} from {format_value(shift.name, shift.onset.baseline)}"
        f" to {format_value(shift.name, shift.onset.peak)}"
    )
    if shift.onset.recovered:
        text += " and recovered"
    return text
