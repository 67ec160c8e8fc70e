"""The run page's timeline: metric curves around the onset with changes marked on them.

Pure functions over plain data (no ORM): `timeline_build` turns evidence records into a
`Timeline`, `timeline_svg` draws it as one inline SVG, rendered on the server, as wide as the
screen it is for (a phone gets a narrow drawing, not a scaled-down wide one). Changes are
numbered on the chart and described in a list beside it.

Panels of one metric share one scale, so a blip on one service does not look like the spike on
another; a panel alone with its metric says its scale is its own. Each panel names its
baseline (before the onset) and its peak (after it), or says it stayed flat.
"""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape

from incidentdesk.analysis.timeutil import parse_time

METRIC_ORDER = ("error_rate", "latency_p99_ms", "requests_per_s", "saturation")
METRIC_LABELS = {
    "error_rate": "error rate",
    "latency_p99_ms": "p99 latency",
    "requests_per_s": "requests/s",
    "saturation": "saturation",
}
MARKER_SOURCES = {"deploys": "deploy", "feature_flags": "flag", "change_calendar": "calendar"}
# The chart opens half an hour before the onset, earlier (up to an hour) to take in a change.
BEFORE_ONSET = timedelta(minutes=30)
CHANGES_BEFORE_ONSET = timedelta(minutes=60)
AFTER_ONSET = timedelta(minutes=30)
PAD = timedelta(minutes=3)
MAX_PANELS = 6

WIDTH = 960
NARROW_WIDTH = 340  # drawn for a phone, so its labels keep their size there
# A series whose peak stays within this fraction of its baseline reads as flat.
FLAT_WITHIN = 0.1
LEFT = 64
RIGHT = 16
TOP = 28
PANEL = 46
GAP = 24
AXIS = 26


@dataclass(frozen=True)
class Series:
    service: str
    name: str
    points: tuple[tuple[datetime, float], ...]
    evidence_id: str = ""
    origin: str = ""  # the metrics vendor, named only when two of them measure the same thing

    @property
    def label(self) -> str:
        label = f"{self.service} {METRIC_LABELS.get(self.name, self.name)}"
        return f"{label} ({self.origin})" if self.origin else label


@dataclass(frozen=True)
class Marker:
    kind: str  # deploy | flag | calendar
    at: datetime
    label: str
    end: datetime | None = None
    evidence_id: str = ""
    number: int = 0


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    onset: datetime | None
    series: tuple[Series, ...] = ()
    markers: tuple[Marker, ...] = ()
    hidden_markers: int = 0
    hidden_series: int = field(default=0)

    @property
    def empty(self) -> bool:
        return not self.series and not self.markers


def _series(record: dict, evidence_id: str) -> Series | None:
    points = []
    for item in record.get("points") or []:
        try:
            when, value = parse_time(item[0]), float(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if when is not None:
            points.append((when, value))
    if not points:
        return None
    points.sort(key=lambda p: p[0])
    return Series(service=str(record.get("service") or ""), name=str(record.get("name") or "metric"),
                  points=tuple(points), evidence_id=evidence_id, origin=str(record.get("source") or ""))


def _marker(source: str, record: dict, evidence_id: str) -> Marker | None:
    kind = MARKER_SOURCES[source]
    if kind == "deploy":
        at = parse_time(record.get("finished_at")) or parse_time(record.get("started_at"))
        status = record.get("status")
        label = f"Deploy {record.get('id', '')} of {record.get('service', '')}"
        if status and status != "success":
            label += f" ({status})"
        return Marker("deploy", at, label, evidence_id=evidence_id) if at else None
    if kind == "flag":
        at = parse_time(record.get("changed_at"))
        label = (f"Flag {record.get('key', '')} {_short(record.get('from'))} → {_short(record.get('to'))}"
                 f" by {record.get('actor') or 'unknown'}")
        return Marker("flag", at, label, evidence_id=evidence_id) if at else None
    at = parse_time(record.get("start"))
    label = f"{str(record.get('kind') or 'change').capitalize()}: {record.get('title', '')}"
    return Marker("calendar", at, label, end=parse_time(record.get("end")), evidence_id=evidence_id) if at else None


def _short(value) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 24 else text[:23] + "…"


def _series_key(series: Series, service: str | None) -> tuple:
    order = METRIC_ORDER.index(series.name) if series.name in METRIC_ORDER else len(METRIC_ORDER)
    return (series.service != service, series.service, order, series.name)


def timeline_build(
    records: list[tuple[str, str, dict]], *, service: str | None, onset: datetime | None
) -> Timeline:
    """`records` are (source, evidence id, data) of metrics, deploys, flags and calendar events.

    The window runs from an hour before the onset to half an hour after it, narrowed to the
    metrics that exist; without an onset it is the metrics' own extent.
    """
    series: list[Series] = []
    markers: list[Marker] = []
    for source, evidence_id, data in records:
        if not isinstance(data, dict):
            continue
        if source == "metrics":
            item = _series(data, evidence_id)
            if item:
                series.append(item)
        elif source in MARKER_SOURCES:
            mark = _marker(source, data, evidence_id)
            if mark:
                markers.append(mark)
    series.sort(key=lambda s: _series_key(s, service))
    times = [p[0] for s in series for p in s.points]
    if onset is not None:
        recent_changes = [m.at for m in markers if onset - CHANGES_BEFORE_ONSET <= m.at < onset - BEFORE_ONSET]
        start = min([onset - BEFORE_ONSET, *(at - PAD for at in recent_changes)])
        end = onset + AFTER_ONSET
        if times:
            start, end = max(start, min(times)), min(end, max(times))
            if end <= onset:
                end = onset + timedelta(minutes=5)
    elif times:
        start, end = min(times), max(times)
    elif markers:
        start = min(m.at for m in markers) - timedelta(minutes=30)
        end = max(m.at for m in markers) + timedelta(minutes=30)
    else:
        return Timeline(start=datetime.min, end=datetime.min, onset=None)
    if end <= start:
        end = start + timedelta(minutes=10)
    visible = [m for m in markers if m.at <= end and (m.end or m.at) >= start]
    visible.sort(key=lambda m: m.at)
    numbered = tuple(
        Marker(m.kind, m.at, m.label, m.end, m.evidence_id, number=i) for i, m in enumerate(visible, start=1)
    )
    measured = Counter((s.service, s.name) for s in series)
    shown = tuple(
        Series(s.service, s.name, tuple(p for p in s.points if start <= p[0] <= end), s.evidence_id,
               origin=s.origin if measured[(s.service, s.name)] > 1 else "")
        for s in series[:MAX_PANELS]
    )
    return Timeline(start=start, end=end, onset=onset, series=tuple(s for s in shown if s.points),
                    markers=numbered, hidden_markers=len(markers) - len(visible),
                    hidden_series=max(0, len(series) - MAX_PANELS))


def format_value(name: str, value: float) -> str:
    if name in ("error_rate", "saturation"):
        percent = value * 100
        if percent == 0:
            return "0%"
        if abs(percent) < 1:
            return f"{percent:.2g}%"
        return f"{percent:.1f}%" if abs(percent) < 10 else f"{percent:.0f}%"
    if name.endswith("_ms"):
        return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass(frozen=True)
class PanelScale:
    low: float
    high: float
    own: bool  # no other panel shows this metric


def panel_scales(series: tuple[Series, ...]) -> list[PanelScale]:
    """One scale per metric, from zero (or below) to the highest value any of its panels reach."""
    by_name: dict[str, list[float]] = {}
    for s in series:
        by_name.setdefault(s.name, []).extend(v for _, v in s.points)
    scales = []
    for s in series:
        values = by_name[s.name]
        low, high = min(0.0, min(values)), max(values)
        alone = sum(other.name == s.name for other in series) == 1
        scales.append(PanelScale(low, high if high > low else low + 1.0, own=alone))
    return scales


def panel_summary(series: Series, onset: datetime | None) -> str:
    """`baseline 0.3% → peak 8.7%`, or `flat at 120 ms`: what the curve says, in numbers."""
    values = [v for _, v in series.points]
    before = [v for t, v in series.points if onset is not None and t < onset] or values[: max(1, len(values) // 3)]
    after = [v for t, v in series.points if onset is None or t >= onset] or values
    baseline, peak = statistics.median(before), max(after)
    if abs(peak - baseline) <= FLAT_WITHIN * max(abs(baseline), abs(peak)) or peak == baseline:
        return f"flat at {format_value(series.name, baseline)}"
    return f"baseline {format_value(series.name, baseline)} → peak {format_value(series.name, peak)}"


def _ticks(start: datetime, end: datetime, *, most: int = 8) -> list[datetime]:
    span = (end - start).total_seconds() / 60
    step = next((s for s in (5, 10, 15, 30, 60, 120, 240, 720, 1440) if span / s <= most), 2880)
    first = start.replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % step if step < 60 else (60 - first.minute) % 60)
    ticks, tick = [], first
    while tick <= end:
        if tick >= start:
            ticks.append(tick)
        tick += timedelta(minutes=step)
    return ticks


def timeline_svg(timeline: Timeline, *, width: int = WIDTH) -> str:
    """The timeline as an SVG document fragment `width` units wide; every piece of text is escaped."""
    if timeline.empty:
        return ""
    panels = max(1, len(timeline.series))
    height = TOP + 12 + panels * (PANEL + GAP + 14) + AXIS
    plot_w = width - LEFT - RIGHT
    span = (timeline.end - timeline.start).total_seconds() or 1.0

    def x(when: datetime) -> float:
        offset = (when - timeline.start).total_seconds() / span
        return round(LEFT + min(1.0, max(0.0, offset)) * plot_w, 1)

    bottom = height - AXIS
    out = [
        (
            f'<svg class="timeline-chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Metrics from {timeline.start:%H:%M} to {timeline.end:%H:%M} UTC with '
            f'{len(timeline.markers)} changes marked" xmlns="http://www.w3.org/2000/svg">'
        )
    ]
    for m in timeline.markers:
        if m.kind == "calendar" and m.end:
            x0, x1 = x(max(m.at, timeline.start)), x(min(m.end, timeline.end))
            out.append(f'<rect class="band" x="{x0}" y="{TOP - 6}" width="{max(2.0, x1 - x0):.1f}" '
                       f'height="{bottom - TOP + 6}"><title>{escape(m.label)}</title></rect>')
    for i, (s, scale) in enumerate(zip(timeline.series, panel_scales(timeline.series), strict=True)):
        top = TOP + i * (PANEL + GAP + 14) + 40  # below the change badges
        low, high = scale.low, scale.high

        def y(value: float, top: int = top, low: float = low, high: float = high) -> float:
            return round(top + PANEL - (value - low) / (high - low) * PANEL, 1)

        line = " ".join(f"{x(t)},{y(v)}" for t, v in s.points)
        first_x, last_x = x(s.points[0][0]), x(s.points[-1][0])
        note = panel_summary(s, timeline.onset) + (" · own scale" if scale.own else "")
        out.append(f'<text class="panel-label" x="4" y="{top - 18}">{escape(s.label)}</text>')
        out.append(f'<text class="panel-note" x="4" y="{top - 4}">{escape(note)}</text>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{top + 8}" text-anchor="end">'
                   f'{escape(format_value(s.name, high))}</text>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{top + PANEL}" text-anchor="end">'
                   f'{escape(format_value(s.name, low))}</text>')
        out.append(f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{top + PANEL}" y2="{top + PANEL}"/>')
        out.append(f'<polygon class="area" points="{first_x},{top + PANEL} {line} {last_x},{top + PANEL}"/>')
        out.append(f'<polyline class="curve" points="{line}"><title>{escape(s.label)}</title></polyline>')
    for tick in _ticks(timeline.start, timeline.end, most=max(3, width // 120)):
        out.append(f'<text class="axis" x="{x(tick)}" y="{height - 8}" text-anchor="middle">{tick:%H:%M}</text>')
    if timeline.onset and timeline.start <= timeline.onset <= timeline.end:
        ox = x(timeline.onset)
        out.append(f'<line class="onset" x1="{ox}" x2="{ox}" y1="{TOP - 10}" y2="{bottom}"/>')
        out.append(f'<text class="onset-label" x="{ox + 4}" y="{TOP - 14}">onset {timeline.onset:%H:%M}</text>')
    for m in timeline.markers:
        if m.kind == "calendar" and m.end:
            mx = x(max(m.at, timeline.start))
        else:
            mx = x(m.at)
            out.append(f'<line class="mark {m.kind}" x1="{mx}" x2="{mx}" y1="{TOP}" y2="{bottom}"/>')
        out.append(
            f'<g class="badge {m.kind}"><title>{escape(m.label)} at {m.at:%H:%M} UTC</title>'
            f'<circle cx="{mx}" cy="{TOP}" r="9"/>'
            f'<text x="{mx}" y="{TOP + 4}" text-anchor="middle">{m.number}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
