"""Resolving a run with the cause responders confirmed."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from collectors.redaction import redact_text
from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.causes import CAUSE_KINDS, MAX_REF, MAX_SUMMARY, Cause, cause_verdict, same_cause
from incidentdesk.membership import user_may_confirm_cause
from incidentdesk.models import ConfirmedCause, Run
from incidentdesk.resolution_panel import CauseOptions, DeskHypothesis, cause_options, packet_hypotheses

MAX_NOTE = 4000
MAX_IMPACT_MINUTES = 60 * 24 * 90


class ConfirmRefused(Exception):
    """The user may not confirm this run's cause, or what they sent is not a cause."""


@dataclass(frozen=True)
class Impact:
    """What customers saw: whether they were affected, and for how long when known."""

    customers_affected: bool
    minutes: int | None = None


def _checked(cause: Cause) -> Cause:
    if cause.kind not in CAUSE_KINDS:
        raise ConfirmRefused(f"'{cause.kind}' is not a kind of cause the desk knows")
    if cause.kind == "unknown":
        return Cause("unknown", "", "Not known")
    ref = redact_text(cause.ref.strip())[0][:MAX_REF]
    if not ref:
        raise ConfirmRefused("A cause other than 'unknown' must name what it was")
    return Cause(cause.kind, ref, redact_text(cause.summary.strip())[0][:MAX_SUMMARY])


def cause_confirm(*, run: Run, user, cause: Cause, impact: Impact, note: str = "") -> ConfirmedCause:
    """Record the cause responders found, resolving the run first when it is still open.

    The cause is judged against the first hypothesis of the run's latest packet version.
    Side effects, in one transaction: the run resolved (status, resolved_at) when it was not;
    its ConfirmedCause created or replaced; the run's cause and resolution text, which history
    search and later runs' incident history read (the note is redacted like vendor text, since
    it becomes evidence there); audit entries `run.resolved` (when it was open) and
    `run.cause_confirmed`.
    Raises ConfirmRefused when the user is neither in an owning team nor a responder, or the
    cause is not one.
    """
    cause = _checked(cause)
    note = redact_text((note or "").strip())[0][:MAX_NOTE]
    minutes = impact.minutes if impact.customers_affected else None
    if minutes is not None and not 0 <= minutes <= MAX_IMPACT_MINUTES:
        raise ConfirmRefused("The impact's duration is out of range")
    with transaction.atomic():
        run = Run.objects.select_for_update(of=("self",)).select_related(
            "service", "service__team", "current_owner_team").get(pk=run.pk)
        if not user_may_confirm_cause(user, run):
            raise ConfirmRefused("Only the owning team and the incident's responders may confirm its cause")
        actor = user.get_username()
        service = run.service.name if run.service else ""
        now = clock.now()
        if run.is_open:
            run.status, run.resolved_at = Run.Status.RESOLVED, now
            audit_append(actor=actor, action="run.resolved", run_id=run.pk, service=service,
                         detail={"from": "page"})
        previous = ConfirmedCause.objects.filter(run=run).first()
        packet = run.packets.order_by("-version").first()
        first = next(iter(packet_hypotheses(packet)), DeskHypothesis(Cause(""), ""))
        confirmed, _ = ConfirmedCause.objects.update_or_create(run=run, defaults={
            "kind": cause.kind, "ref": cause.ref, "summary": cause.summary, "note": note,
            "customer_impact": impact.customers_affected, "impact_minutes": minutes, "packet": packet,
            "desk_kind": first.cause.kind, "desk_ref": first.cause.ref[:MAX_REF],
            "desk_confidence": first.confidence[:10], "desk_summary": first.cause.summary[:MAX_SUMMARY],
            "confirmed_by": actor, "confirmed_at": now,
        })
        run.cause = f"{cause.label}: {cause.summary}" if cause.summary and cause.kind != "unknown" else cause.label
        if note:
            run.resolution = note
        run.save(update_fields=["status", "resolved_at", "cause", "resolution"])
        audit_append(
            actor=actor, action="run.cause_confirmed", run_id=run.pk, service=service,
            detail={
                "kind": cause.kind, "ref": cause.ref, "customer_impact": impact.customers_affected,
                "impact_minutes": minutes, "packet_version": packet.version if packet else None,
                "desk_first": {"kind": confirmed.desk_kind, "ref": confirmed.desk_ref,
                               "confidence": confirmed.desk_confidence},
                "verdict": str(cause_verdict(desk=confirmed.desk_cause, confirmed=confirmed.cause)),
                "replaces": {"kind": previous.kind, "ref": previous.ref} if previous else None,
            },
        )
    return confirmed


@dataclass(frozen=True)
class _DemoRun:
    run: Run
    oncall: object
    options: CauseOptions

    @property
    def first(self) -> DeskHypothesis | None:
        return self.options.hypotheses[0] if self.options.hypotheses else None

    @property
    def names_a_cause(self) -> bool:
        return self.first is not None and not self.first.cause.is_unknown

    def demo_cause(self, *, wrong: bool) -> tuple[Cause, str]:
        if not self.names_a_cause:
            return Cause("unknown"), "Recovered on its own; nothing found."
        other = next((c for c in self.options.all if not c.is_unknown and not same_cause(c, self.first.cause)), None)
        if wrong and other is not None:
            return other, "The packet's first guess was not it."
        return self.first.cause, "Confirmed what the packet said."


def causes_confirm_for_demo(runs: Iterable[Run]) -> list[ConfirmedCause]:
    """Give demo runs confirmed causes, as their on-call would: one run whose packet names a
    cause (a `high` one when there is one) gets another cause from its own evidence, so the
    desk was wrong; the other named ones their first hypothesis (right); and runs whose packet
    said "not known" stay unknown.

    Runs without a packet, or whose on-call is not a user, are left alone. Same side effects as
    `cause_confirm`, once per run.
    """
    users = get_user_model().objects
    todo = []
    for run in runs:
        oncall = users.filter(username=run.current_oncall, is_active=True).first() if run.current_oncall else None
        options = cause_options(run=run)
        if oncall is not None and options.packet is not None:
            todo.append(_DemoRun(run, oncall, options))
    named = [d for d in todo if d.names_a_cause]
    wrong = next((d for d in named if d.first.confidence == "high"), named[0] if named else None)
    confirmed = []
    for demo in todo:
        cause, note = demo.demo_cause(wrong=demo is wrong)
        confirmed.append(cause_confirm(run=demo.run, user=demo.oncall, cause=cause, note=note,
                                       impact=Impact(customers_affected=True, minutes=20)))
    return confirmed
