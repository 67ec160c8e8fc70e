"""What the collectors found for a run, and the packets built from it."""

from django.db import models

from incidentdesk import clock
from incidentdesk.models.runs import Run


class SourceCollection(models.Model):
    """The state of one source's collection for one run."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        RUNNING = "running", "Reading"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="collections")
    source = models.CharField(max_length=30)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    reason = models.CharField(max_length=30, blank=True, help_text="Gap reason when failed")
    detail = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source"]
        constraints = [models.UniqueConstraint(fields=["run", "source"], name="collection_once_per_source")]

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Evidence(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="evidence")
    source = models.CharField(max_length=30)
    ref = models.CharField(max_length=300, help_text="The source's own id")
    service = models.CharField(max_length=150, blank=True)
    data = models.JSONField()
    url = models.URLField(max_length=1000, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    redactions = models.JSONField(default=list, help_text="Kinds of data redacted before storing")
    truncated = models.BooleanField(default=False)
    collected_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["source", "observed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "source", "ref"], name="evidence_once_per_source_id")
        ]

    @property
    def public_id(self) -> str:
        return f"E{self.pk}"


class Packet(models.Model):
    """One version of a run's packet; a new version is stored only when its content changes."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="packets")
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    data = models.JSONField()
    text = models.TextField()
    evidence_ids = models.JSONField(default=list, help_text="Evidence rows it was built from")
    complete = models.BooleanField(default=False, help_text="Built after every source finished")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["run", "-version"]
        constraints = [models.UniqueConstraint(fields=["run", "version"], name="packet_version_once")]
