"""The cause responders confirmed for a run, beside what the desk's packet said first."""

from django.db import models

from incidentdesk import clock
from incidentdesk.causes import CAUSE_KINDS, KIND_LABELS, Cause, Verdict, cause_verdict
from incidentdesk.models.evidence import Packet
from incidentdesk.models.runs import Run

KIND_CHOICES = [(kind, KIND_LABELS[kind]) for kind in CAUSE_KINDS]


class ConfirmedCause(models.Model):
    """One per run, written when a responder confirms the cause (replaced if they change it).

    The desk's first hypothesis is copied from the packet version it is judged against: packet
    versions never change, so the copy cannot drift, and lists read it without the packet's JSON.
    The verdict is not stored: `incidentdesk.causes` works it out from these columns.
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="confirmed_cause")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    ref = models.CharField(max_length=300, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    customer_impact = models.BooleanField()
    impact_minutes = models.PositiveIntegerField(null=True, blank=True)
    packet = models.ForeignKey(Packet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    desk_kind = models.CharField(max_length=20, blank=True, help_text="Empty when the packet had no hypothesis")
    desk_ref = models.CharField(max_length=300, blank=True)
    desk_confidence = models.CharField(max_length=10, blank=True)
    desk_summary = models.CharField(max_length=500, blank=True)
    confirmed_by = models.CharField(max_length=150, help_text="username")
    confirmed_at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"Run {self.run_id}: {self.cause.label}"

    @property
    def cause(self) -> Cause:
        return Cause(self.kind, self.ref, self.summary)

    @property
    def desk_cause(self) -> Cause | None:
        return Cause(self.desk_kind, self.desk_ref, self.desk_summary) if self.desk_kind else None

    @property
    def verdict(self) -> Verdict:
        return cause_verdict(desk=self.desk_cause, confirmed=self.cause)
