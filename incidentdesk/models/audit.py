"""The audit trail: append-only, each entry chained to the one before by its hash."""

from django.db import models

from incidentdesk import clock


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="username, or 'desk' for the desk itself")
    action = models.CharField(max_length=60, db_index=True)
    run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    service = models.CharField(max_length=150, blank=True, db_index=True)
    detail = models.JSONField(default=dict)
    touches_customer_data = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "approvals_auditentry"  # the table kept its name when the trail moved to the core
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers chain one after another."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "approvals_audithead"


class AuditCheck(models.Model):
    """One walk of the whole chain, kept so that pages check only the entries added since."""

    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    checked = models.PositiveBigIntegerField(default=0, help_text="Entries found intact")
    through_seq = models.PositiveBigIntegerField(default=0, help_text="Last entry found intact")
    through_hash = models.CharField(max_length=64, default="0" * 64)
    broken_seq = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=200, blank=True)
    seal = models.CharField(
        max_length=64, blank=True, help_text="HMAC of through_seq and through_hash with AUDIT_ANCHOR_KEY, when set"
    )

    class Meta:
        db_table = "approvals_auditcheck"
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"audit check {self.finished_at}: {'intact' if self.ok else f'broken at #{self.broken_seq}'}"
