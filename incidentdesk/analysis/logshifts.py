"""Numbers in recurring log lines that jumped at the onset.

A service can fail without an error of its own: its output changes. A line it logs every few
minutes ("wrote features.bin (118 features)", "published key set: 5 keys") keeps a number
steady for an hour, then it doubles or halves at the onset. That is a finding about the
service, and a caller whose errors quote the new number ("236 features > 200") is failing
through it.
"""

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.logtemplates import template_of
from incidentdesk.analysis.timeutil import parse_time

# The shift must fall this close to the onset.
BEFORE = timedelta(minutes=10)
AFTER = timedelta(minutes=5)
# How the number is read before the shift: this many lines, within this band of their median.
MIN_STEADY_LINES = 4
STEADY_BAND = 0.1
FACTOR = 1.5
ZERO_JUMP_RATIO = 0.1
ZERO_JUMP_COUNT = 10
_NUMBER = re.compile(r"^[(\[]?(\d+(?:\.\d+)?)(?:%|ms|s|x|[KMG]B)?[)\],;:]?$")


@dataclass(frozen=True)
class LogShift:
    service: str
    template: str
    before: float  # the value the line kept
    after: float  # the value from the shift on
    at: datetime
    evidence_ids: tuple[str, ...]  # a line before the shift, the first line after

    @property
    def text(self) -> str:
        return f"'{self.template}' went from {_show(self.before)} to {_show(self.after)}"


def _show(value: float) -> str:
    return f"{value:g}"


def _numbers(message: str) -> list[float | None]:
    out: list[float | None] = []
    for token in message.split():
        match = _NUMBER.match(token.partition("=")[2] or token)
        out.append(float(match.group(1)) if match else None)
    return out


def log_shifts(findings: Findings, onset: datetime) -> list[LogShift]:
    lines: dict[tuple[str, str], list[tuple[datetime, str, list[float | None]]]] = {}
    for item in findings.records("logs"):
        message = str(item.data.get("message") or "")
        when = item.observed_at or parse_time(item.data.get("ts"))
        if when is None or when < onset - timedelta(hours=1) or when > onset + AFTER:
            continue
        key = (str(item.data.get("service") or item.service or ""), template_of(message))
        lines.setdefault(key, []).append((when, item.id, _numbers(message)))
    out: list[LogShift] = []
    for (service, template), found in lines.items():
        found.sort()
        before = [f for f in found if f[0] < onset - BEFORE]
        around = [f for f in found if f[0] >= onset - BEFORE]
        if len(before) < MIN_STEADY_LINES or not around:
            continue
        width = len(before[0][2])
        if any(len(f[2]) != width for f in found):
            continue
        shift = _first_shift(service, template, before, around, width)
        if shift:
            out.append(shift)
    return out


def _first_shift(service, template, before, around, width) -> LogShift | None:
    for position in range(width):
        usual = [f[2][position] for f in before]
        if any(v is None for v in usual):
            continue
        base = statistics.median(usual)
        if base < 0 or any(abs(v - base) > STEADY_BAND * base for v in usual):
            continue
        for when, evidence_id, numbers in around:
            value = numbers[position]
            if value is not None and _jumped(base, value):
                return LogShift(service, template, base, value, when, (before[-1][1], evidence_id))
    return None


def _jumped(base: float, value: float) -> bool:
    if base == 0:
        # Always zero, then not: a ratio that leaves 0.00, a count that leaves 0 by a margin.
        return value >= (ZERO_JUMP_COUNT if value == int(value) else ZERO_JUMP_RATIO)
    return value >= FACTOR * base or value <= base / FACTOR


def quotes(text: str, value: float) -> bool:
    """The text carries `value` as a number of its own (not inside an id or a longer number)."""
    shown = _show(value)
    return len(shown.replace(".", "")) >= 3 and bool(re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w.])", text))
