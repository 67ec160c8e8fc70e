"""Annotating a packet with the language model's checked explanation.

The model only reads the packet and the runbooks as data; what it writes goes to the packet's
`assistant` key after the guard, never into a deterministic field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.test.utils import override_settings

from collectors.redaction import redact_text
from incidentdesk.analysis.runbooks import parse_sections
from incidentdesk.assistant import guard
from incidentdesk.assistant.client import ChatConfig, ChatError, chat_complete
from incidentdesk.assistant.prompt import ANSWER_MAX_TOKENS, RunbookText, build_messages, parse_answer
from incidentdesk.assistant.section import LIMITS, empty_section, with_section, without_section
from incidentdesk.audit import audit_append
from incidentdesk.models import AuditEntry, Run

log = logging.getLogger(__name__)

CALL = "assistant.call"
REFUSED = "assistant.refused"
MAX_RUNBOOKS = 3


def assistant_enabled() -> bool:
    return bool(getattr(settings, "LLM_BASE_URL", ""))


@contextmanager
def assistant_switched(*, on: bool) -> Iterator[None]:
    """Turn the model step off for a block (evals without the model); on leaves it as configured."""
    if on:
        yield
        return
    with override_settings(LLM_BASE_URL=""):
        yield


def tokens_used(run_id: int) -> int:
    """Tokens the model has used for this run, as counted in its audit entries."""
    used = 0
    for detail in AuditEntry.objects.filter(run_id=run_id, action=CALL).values_list("detail", flat=True):
        used += int(((detail or {}).get("usage") or {}).get("total_tokens") or 0)
    return used


def assistant_annotate(*, run: Run, packet_data: dict) -> dict:
    """The packet with an `assistant` section added; the packet itself when LLM_BASE_URL is unset.

    Side effects: at most one chat completions request to LLM_BASE_URL and one audit entry
    (`assistant.call` with prompt, answer, usage and the dropped sentences, or `assistant.refused`
    when the run's token budget is spent). Raises nothing: a failure becomes the section's `error`.
    """
    if not assistant_enabled():
        return packet_data
    model = settings.LLM_MODEL
    previous = _reusable_section(run, packet_data, model)
    if previous is not None:
        return with_section(packet_data, previous)
    try:
        section = _annotate(run, packet_data, model)
    except Exception:  # the deterministic packet is never lost to this optional step
        log.exception("assistant step failed for run %s", run.pk)
        section = {**empty_section(model), "error": "internal"}
    return with_section(packet_data, section)


def _reusable_section(run: Run, packet_data: dict, model: str) -> dict | None:
    """The latest packet's section when its deterministic part is unchanged: one call per packet."""
    latest = run.packets.order_by("-version").first()
    section = (latest.data or {}).get("assistant") if latest else None
    if not section or section.get("error") or section.get("model") != model:
        return None
    same = json.loads(json.dumps(packet_data, default=str)) == without_section(latest.data)
    return section if same else None


def _annotate(run: Run, packet: dict, model: str) -> dict:
    section = empty_section(model)
    budget = settings.LLM_TOKEN_BUDGET_PER_RUN
    used = tokens_used(run.pk)
    audit = {
        "actor": "desk",
        "run_id": run.pk,
        "service": packet.get("service") or "",
        "touches_customer_data": bool((packet.get("data_risk") or {}).get("flagged")),
    }
    if used >= budget:
        audit_append(
            action=REFUSED,
            detail={"model": model, "reason": "token budget spent", "used": used, "budget": budget},
            **audit,
        )
        return {**section, "error": "budget_exhausted"}
    runbooks = _runbooks(run, packet)
    messages = build_messages(packet, runbooks)
    config = ChatConfig(
        base_url=settings.LLM_BASE_URL,
        model=model,
        api_key=settings.LLM_API_KEY,
        timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
    )
    detail: dict = {"model": model, "prompt": messages, "budget": budget, "used_before": used}
    try:
        answer = chat_complete(
            config=config, messages=messages, max_tokens=max(1, min(ANSWER_MAX_TOKENS, budget - used))
        )
    except ChatError as exc:
        audit_append(
            action=CALL,
            detail={
                **detail,
                "error": exc.code,
                "error_detail": exc.detail,
                "usage": exc.usage,
                "answer": None,
            },
            **audit,
        )
        return {**section, "error": exc.code}
    section["model"] = answer.model
    kept, dropped = _checked(answer.content, packet, runbooks)
    section.update(kept)
    section["dropped"] = len(dropped)
    # The answer is stored redacted: the audit trail never holds what the packet may not.
    audit_append(
        action=CALL,
        detail={
            **detail,
            "answer": redact_text(answer.content)[0],
            "usage": answer.usage,
            "kept": {k: len(kept[k]) for k in LIMITS},
            "dropped": dropped,
        },
        **audit,
    )
    return section


def _runbooks(run: Run, packet: dict) -> list[RunbookText]:
    """The run's runbooks, its own service's first; the model may quote only these."""
    rows = run.evidence.filter(source="runbooks").order_by("pk")
    own = packet.get("service")
    ordered = sorted(rows, key=lambda e: (e.service != own, e.pk))[:MAX_RUNBOOKS]
    out = []
    for row in ordered:
        text = str((row.data or {}).get("text") or "")
        sections = tuple((s.heading, s.body) for s in parse_sections(text))
        if sections:
            out.append(RunbookText(row.public_id, str((row.data or {}).get("key") or row.ref), sections))
    return out


def _checked(content: str, packet: dict, runbooks: list[RunbookText]) -> tuple[dict, list[dict]]:
    """The answer's statements that pass the guard, and the others with why (redacted, for audit)."""
    ctx = guard.context_of(packet, {r.evidence_id for r in runbooks})
    parsed = parse_answer(content)
    kept: dict[str, list] = {"summary": [], "runbook": [], "next_actions": []}
    dropped: list[dict] = []

    def drop(text: str, why: str) -> None:
        dropped.append({"text": redact_text(text)[0][:400], "why": why})

    for key, items in (("summary", parsed.summary), ("next_actions", parsed.next_actions)):
        for item in items:
            for checked in guard.check_text(item, ctx):
                if not checked.kept:
                    drop(checked.text, checked.why or "")
                elif len(kept[key]) >= LIMITS[key]:
                    drop(checked.text, "more than the section shows")
                else:
                    kept[key].append({"text": checked.text, "evidence": list(checked.evidence)})
    sections = {r.evidence_id: r.sections for r in runbooks}
    for item in parsed.runbook:
        quote, why = guard.check_quote(item, sections, ctx)
        if quote is None:
            drop(f"{item.get('heading')}: {item.get('quote')}", why)
        elif len(kept["runbook"]) >= LIMITS["runbook"]:
            drop(quote["quote"], "more than the section shows")
        else:
            kept["runbook"].append(quote)
    kept["evidence"] = _extra_evidence(packet, kept, runbooks)
    return kept, dropped


def _extra_evidence(packet: dict, kept: dict, runbooks: list[RunbookText]) -> list[dict]:
    """Runbooks the section cites that the packet's own evidence list does not hold."""
    known = {e.get("id") for e in packet.get("evidence") or []}
    cited = {
        i
        for group in ("summary", "runbook", "next_actions")
        for entry in kept[group]
        for i in entry["evidence"]
    }
    return [
        {
            "id": r.evidence_id,
            "source": "runbooks",
            "ref": r.key,
            "summary": f"Runbook {r.key}",
            "url": None,
            "observed_at": None,
        }
        for r in runbooks
        if r.evidence_id in cited and r.evidence_id not in known
    ]
