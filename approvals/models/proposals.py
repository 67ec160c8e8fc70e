"""Production actions waiting for an owner, their approvals, and what the desk posted on its own."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from approvals.actions import action_choices, label_of, summary_of
from incidentdesk import clock


class ActionProposal(models.Model):
    """One production action bound to its exact parameters and to the packet version it came from."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        SUPERSEDED = "superseded", "Superseded"
        EXECUTING = "executing", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown"

    TRANSITIONS: dict[str, frozenset[str]] = {
        State.PROPOSED: frozenset({State.APPROVED, State.REJECTED, State.EXPIRED, State.SUPERSEDED}),
        State.APPROVED: frozenset({State.EXECUTING, State.EXPIRED, State.SUPERSEDED}),
        State.EXECUTING: frozenset({State.SUCCEEDED, State.FAILED, State.UNKNOWN}),
        State.REJECTED: frozenset(),
        State.EXPIRED: frozenset(),
        State.SUPERSEDED: frozenset(),
        State.SUCCEEDED: frozenset(),
        State.FAILED: frozenset(),
        State.UNKNOWN: frozenset(),
    }
    LIVE_STATES = (State.PROPOSED, State.APPROVED)
    DESK = "desk"

    run = models.ForeignKey("incidentdesk.Run", on_delete=models.CASCADE, related_name="proposals")
    service = models.ForeignKey("incidentdesk.Service", on_delete=models.PROTECT, related_name="proposals")
    packet = models.ForeignKey(
        "incidentdesk.Packet", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    packet_version = models.PositiveIntegerField(null=True, blank=True)
    packet_hash = models.CharField(max_length=64, blank=True, help_text="Content hash of that packet version")
    action = models.CharField(max_length=20, choices=action_choices)
    target = models.CharField(max_length=300)
    item = models.JSONField(default=dict, blank=True, help_text="The packet's requires_approval entry")
    params = models.JSONField(default=dict, help_text="Exactly what the executor will do")
    params_hash = models.CharField(max_length=64, db_index=True)
    safe = models.BooleanField(default=True)
    safety_reason = models.TextField(blank=True)
    severity = models.CharField(max_length=10, blank=True)
    policy_rule = models.CharField(max_length=100)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    touches_customer_data = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=150, help_text="username, or 'desk' for the desk itself")
    request_note = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True, help_text="Who rejected it")
    decision_reason = models.TextField(blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    outcome = models.TextField(blank=True, help_text="What happened, or why it stopped")
    result = models.JSONField(
        default=dict, blank=True, help_text="The request sent (secrets masked) and answer"
    )

    class Meta:
        ordering = ["run", "created_at", "pk"]
        constraints = [
            # Two packet builds at once must not open two live proposals for the same thing.
            models.UniqueConstraint(
                fields=["run", "action", "target", "requested_by"],
                condition=Q(state__in=["proposed", "approved"]),
                name="proposal_live_once",
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="proposal_state_expiry")]

    def __str__(self) -> str:
        return f"{self.label} {self.target} (run {self.run_id}, {self.state})"

    def can_transition(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.state, frozenset())

    @property
    def is_open_for_decision(self) -> bool:
        return self.state == self.State.PROPOSED and not self.is_expired_at(clock.now())

    def is_expired_at(self, moment) -> bool:
        return moment >= self.expires_at

    @property
    def label(self) -> str:
        return label_of(self.action)

    @property
    def summary(self) -> str:
        """What the approver is agreeing to, in one line, from the bound parameters."""
        return summary_of(self.action, self.params, self.target)


class ProposalApproval(models.Model):
    """One person's approval; the same person approving twice is one approval."""

    proposal = models.ForeignKey(ActionProposal, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="approval_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} approved proposal {self.proposal_id}"


class Outbound(models.Model):
    """What the desk may do without approval: the run's Slack message and its ticket, one of each."""

    class Kind(models.TextChoices):
        POST_SUMMARY = "post_summary", "Slack summary"
        CREATE_TICKET = "create_ticket", "Ticket"

    class State(models.TextChoices):
        PENDING = "pending", "Sending"
        SENT = "sent", "Sent"
        DRY_RUN = "dry_run", "Recorded (dry run)"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown"

    run = models.ForeignKey("incidentdesk.Run", on_delete=models.CASCADE, related_name="outbound")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    vendor = models.CharField(max_length=30)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    destination = models.CharField(
        max_length=200, blank=True, help_text="Slack channel, repository or project"
    )
    external_id = models.CharField(max_length=200, blank=True, help_text="Slack ts, issue number or key")
    url = models.URLField(max_length=1000, blank=True)
    packet_version = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.CharField(max_length=150, default="desk")
    outcome = models.TextField(blank=True)
    result = models.JSONField(
        default=dict, blank=True, help_text="The last request (secrets masked) and answer"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    key = models.UUIDField(
        default=uuid.uuid4, help_text="Carried by the message or ticket, to find it when no answer came"
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while one worker sends; cleared when the outcome is recorded"
    )

    class Meta:
        ordering = ["run", "kind"]
        constraints = [models.UniqueConstraint(fields=["run", "kind"], name="outbound_once_per_run")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for run {self.run_id} ({self.state})"
