"""A postmortem draft as Markdown: plain, short, and safe to render anywhere.

Everything that came from people or vendors is text. It is kept on one line, and the Markdown
it could carry is escaped: it starts no heading, list or quote, and makes no emphasis, code,
link, image or HTML tag. Only plain web links become links, with their destination encoded.
"""

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from incidentdesk.causes import Verdict
from incidentdesk.links import safe_href
from incidentdesk.postmortem.content import CauseFindings, DeskReview, Entry, Impact, Postmortem
from incidentdesk.scorecard.figures import duration_text

INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>~|])")
BLOCK_START = re.compile(r"^([#>+=-])")
NUMBERED_START = re.compile(r"^(\d+)([.)])")
MAX_TEXT = 500
MAX_NOTE = 2000
# What a link destination keeps as it is; spaces, parentheses, quotes and angle brackets are encoded.
URL_SAFE = "/:?#[]@!$&'*+,;=%-._~"


def md_text(value: object, *, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(value or "").split())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = INLINE_MARKUP.sub(r"\\\1", text)
    return NUMBERED_START.sub(r"\1\\\2", BLOCK_START.sub(r"\\\1", text))


def md_link(label: str, url: str) -> str:
    href = safe_href(url)
    if not href:
        return md_text(label)
    return f"[{md_text(label) or 'link'}]({quote(href, safe=URL_SAFE)})"


def md_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def md_entry(entry: Entry) -> str:
    parts = [md_text(entry.text)] + [md_link(link.label, link.url) for link in entry.links]
    return " ".join(part for part in parts if part)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _impact(pm: Postmortem, impact: Impact) -> list[str]:
    if impact.customers_affected is None:
        affected = "not recorded: the cause is not confirmed"
    elif impact.customers_affected:
        affected = f"yes, for {impact.minutes} min" if impact.minutes is not None else "yes"
    else:
        affected = "no"
    lines = [f"- Customers affected: {affected}."]
    start = pm.onset or pm.triggered_at
    if pm.resolved_at:
        lines.append(f"- Onset to resolution: {duration_text(max(timedelta(0), pm.resolved_at - start))}"
                     f" ({md_time(start)} to {md_time(pm.resolved_at)} UTC).")
    severity = impact.severity_basis or (f"{impact.severity} candidate" if impact.severity else "not known")
    lines.append(f"- Severity, as the desk read it: {md_text(severity)}.")
    if impact.data_risk:
        lines.append(f"- Customer data at risk: {md_text(impact.data_risk)}.")
    if impact.signals:
        lines.append("- What the evidence showed:")
        lines += [f"  - {md_entry(s)}" for s in impact.signals]
    return lines


def _cause(cause: CauseFindings | None) -> list[str]:
    if cause is None:
        return ["Not confirmed yet: confirm it on the run's page, then draft again."]
    headline = f"**{md_text(cause.label)}**" + (f": {md_text(cause.summary)}" if cause.summary else "")
    confirmed = f"Confirmed by {md_text(cause.confirmed_by)} on {md_time(cause.confirmed_at)} UTC."
    lines = [headline, "", confirmed]
    if cause.note:
        lines += ["", f"Note: {md_text(cause.note, limit=MAX_NOTE)}"]
    version = f"packet v{cause.packet_version}" if cause.packet_version else "the packet"
    if cause.hypothesis is None:
        return lines + ["", f"No hypothesis of {version} named it, so there is no chain to show."]
    lines += ["", f"The desk's hypothesis for it, in {version}: {md_entry(cause.hypothesis)}"]
    if cause.chain:
        lines += ["", "How it failed, link by link:", ""]
        lines += [f"{i}. {md_entry(link)}" for i, link in enumerate(cause.chain, start=1)]
    if cause.citations:
        lines += ["", "Evidence cited:", ""]
        lines += [f"- {md_entry(c)}" for c in cause.citations]
    return lines


def _verdict(desk: DeskReview) -> str:
    if desk.verdict is None:
        return "Not judged: the cause is not confirmed."
    version = f"packet v{desk.packet_version}" if desk.packet_version else "the packet"
    first = f"{md_text(desk.first)} ({md_text(desk.first_confidence or 'low')})" if desk.first else "nothing"
    if desk.cause_rank is None:
        where = "none of its hypotheses named the confirmed cause"
    else:
        where = (f"the confirmed cause was its {_ordinal(desk.cause_rank)} hypothesis"
                 f" ({md_text(desk.cause_rank_confidence or 'low')})")
    if desk.verdict == Verdict.RIGHT:
        return f"{desk.verdict.phrase}: the first hypothesis of {version} was {first}."
    if desk.verdict == Verdict.DESK_UNKNOWN:
        return f"{desk.verdict.phrase}: {version} named no cause (first hypothesis: {first}); {where}."
    return f"{desk.verdict.phrase}: the first hypothesis of {version} was {first}; {where}."


def _desk(desk: DeskReview) -> list[str]:
    lines = [f"- {_verdict(desk)}"]
    if desk.to_complete_packet is None:
        lines.append("- No complete packet: collection never finished.")
    else:
        lines.append(f"- First complete packet: {duration_text(desk.to_complete_packet)} after the trigger.")
    if desk.failed_sources:
        missing = "; ".join(md_text(s) for s in desk.failed_sources)
        lines.append(f"- Sources missing from the packet: {missing}.")
    else:
        lines.append("- Every source answered.")
    return lines


def postmortem_markdown(pm: Postmortem) -> str:
    resolved = f", resolved {md_time(pm.resolved_at)} UTC" if pm.resolved_at else ""
    where = md_text(pm.service or "no catalog service") + (f", team {md_text(pm.team)}" if pm.team else "")
    lines = [
        f"# Postmortem draft: {md_text(pm.title)}", "",
        f"{md_link(f'Run #{pm.run_id}', pm.run_url)} on {where}. Triggered {md_time(pm.triggered_at)} UTC"
        f" from {md_text(pm.trigger_source)}{resolved}.",
        "Drafted by the desk from the run's events, evidence, packets and audit trail:"
        " edit it before sharing.",
        "", "## Impact", "", *_impact(pm, pm.impact),
        "", "## Cause", "", *_cause(pm.cause),
        "", "## What the desk got right or wrong", "", *_desk(pm.desk),
        "", "## Follow-up", "",
        *([f"- [ ] {md_entry(item)}" for item in pm.follow_ups] or ["None recorded on the desk."]),
        "", "## Timeline (UTC)", "",
        *[f"- {md_time(e.at)} · {md_entry(e)}" for e in pm.timeline],
    ]
    return "\n".join(lines) + "\n"
