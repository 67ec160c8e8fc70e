"""Incident runs and the triggers that fed them."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse

from incidentdesk import clock
from incidentdesk.models.catalog import Service, Team


class Trigger(models.Model):
    """One webhook request as it arrived, kept verbatim whatever became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, waiting to be processed"
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Retry of a delivery already received"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Processing failed"

    source = models.CharField(max_length=30)
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    http_status = models.PositiveSmallIntegerField()
    reason = models.TextField(blank=True)
    delivery_id = models.CharField(max_length=300, null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # Only the first accepted copy of a delivery holds its id; retries are kept beside it.
            models.UniqueConstraint(
                fields=["source", "delivery_id"],
                condition=Q(delivery_id__isnull=False) & ~Q(status="duplicate") & ~Q(status="rejected"),
                name="trigger_unique_delivery",
            )
        ]
        indexes = [
            # Only the triggers waiting to be grouped, in the order they are taken: small however
            # many have been processed, and a batch is read off it without sorting the backlog.
            models.Index(fields=["id"], condition=Q(status="received"), name="trigger_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.source} trigger {self.pk} ({self.status})"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class Run(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    class Collection(models.TextChoices):
        PENDING = "pending", "Waiting to collect"
        COLLECTING = "collecting", "Collecting evidence"
        DONE = "done", "Evidence collected"

    SEVERITIES = ["sev1", "sev2", "sev3", "sev4"]

    title = models.CharField(max_length=500)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    service_hint = models.CharField(max_length=200, blank=True, help_text="The vendor's name for the service")
    needs_service = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    severity = models.CharField(max_length=10, blank=True, help_text="Candidate severity")
    trigger_source = models.CharField(max_length=30)
    triggered_at = models.DateTimeField(db_index=True)
    first_seen_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the vendor says it started")
    last_event_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    symptoms = models.JSONField(default=list)
    links = models.JSONField(default=list)
    reports_data_exposure = models.BooleanField(default=False)
    current_owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="paged_runs"
    )
    current_oncall = models.CharField(max_length=150, blank=True)
    dedup_key = models.CharField(max_length=300, blank=True)
    collection = models.CharField(max_length=20, choices=Collection.choices, default=Collection.PENDING)
    collection_started_at = models.DateTimeField(null=True, blank=True)
    collection_deadline_at = models.DateTimeField(null=True, blank=True)
    collection_finished_at = models.DateTimeField(null=True, blank=True)
    cause = models.TextField(blank=True, help_text="What caused it, once known")
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    # What the page shows beyond the run's own columns, for history search: the service and its
    # aliases, the latest packet's causes, signals, next actions and cited evidence (deploy, PR,
    # flag and change ids, error messages). Written with each packet version.
    search_text = models.TextField(blank=True, default="", editable=False)
    # Kept by a database trigger on PostgreSQL (migrations 0002, 0008), so every writer keeps it
    # current; left empty on SQLite, where an FTS5 table kept by triggers serves the search.
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-triggered_at"]
        indexes = [
            models.Index(fields=["service", "status", "last_event_at"], name="run_service_open"),
            GinIndex(fields=["search"], name="run_search_gin"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("runs:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def is_collecting(self) -> bool:
        return self.collection != self.Collection.DONE


class RunKey(models.Model):
    """A vendor's id for an incident (PagerDuty incident, Alertmanager fingerprint...) → the run it feeds."""

    key = models.CharField(max_length=300, unique=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="keys")

    def __str__(self) -> str:
        return self.key


class RunEvent(models.Model):
    """One event of a trigger applied to a run: the run's own timeline of what vendors said."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    # No index of its own: the unique (trigger, index) constraint below serves lookups by trigger.
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="run_events", db_index=False)
    index = models.PositiveSmallIntegerField(help_text="Position of the event in its delivery")
    kind = models.CharField(max_length=20)
    title = models.CharField(max_length=500)
    occurred_at = models.DateTimeField()
    # What the event says as evidence: its link, numbers (a report's count against its baseline),
    # the sender's severity, when it says the trouble began, and whether people sent it.
    facts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["trigger", "index"], name="runevent_once_per_event")]
