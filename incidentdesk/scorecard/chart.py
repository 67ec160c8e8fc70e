"""The scorecard's trend: for each month, bars for the runs resolved, those with a confirmed
cause and those where the desk's first hypothesis was right. One small inline SVG, drawn on
the server; the table beside it carries the exact figures."""

from html import escape
from math import ceil

from incidentdesk.scorecard.figures import Month

WIDTH = 360
HEIGHT = 172
LEFT = 30
RIGHT = 6
TOP = 30
BOTTOM = 30
BARS = (("resolved", "Resolved"), ("confirmed", "Cause confirmed"), ("right", "Desk right"))
MAX_LABELS = 12


def trend_svg(months: list[Month]) -> str:
    """The chart as an SVG fragment; every piece of text in it is escaped."""
    if not months:
        return ""
    high = max(m.resolved for m in months) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / len(months)
    bar = min(12.0, slot * 0.8 / len(BARS))
    every = ceil(len(months) / MAX_LABELS)
    out = [
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="By month, {months[0].first:%B %Y} to {months[-1].first:%B %Y}: runs resolved, '
        f'with a confirmed cause, and with the desk right">'
    ]
    x = LEFT
    for key, label in BARS:
        out.append(f'<rect class="bar {key}" x="{x}" y="6" width="10" height="10"/>'
                   f'<text class="legend" x="{x + 14}" y="15">{escape(label)}</text>')
        x += 14 + 7 * len(label) + 10
    out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')
    out.append(f'<line class="grid faint" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP}" y2="{TOP}"/>')
    out.append(f'<text class="axis" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{high}</text>')
    out.append(f'<text class="axis" x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>')
    for i, month in enumerate(months):
        x0 = LEFT + i * slot + (slot - bar * len(BARS)) / 2
        for j, (key, label) in enumerate(BARS):
            value = getattr(month, key)
            height = round(value / high * plot_h, 1)
            out.append(
                f'<rect class="bar {key}" x="{x0 + j * bar:.1f}" y="{base - height:.1f}" width="{bar - 1:.1f}" '
                f'height="{height}"><title>{escape(label)}, {month.first:%B %Y}: {value}</title></rect>'
            )
        if i % every == 0:
            centre = LEFT + (i + 0.5) * slot
            out.append(f'<text class="axis" x="{centre:.1f}" y="{base + 13}" text-anchor="middle">'
                       f'{month.first:%b}</text>')
            if i == 0 or month.first.month == 1:
                out.append(f'<text class="axis" x="{centre:.1f}" y="{base + 25}" text-anchor="middle">'
                           f'{month.first:%Y}</text>')
    out.append("</svg>")
    return "".join(out)
