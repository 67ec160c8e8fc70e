"""The service catalog: teams (each a Django group) and the services they own."""

from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse


class Team(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    oncall = models.CharField(max_length=150, blank=True, help_text="Username of who is on call now.")
    slack_channel = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """How people say the team's name: 'payments-platform' reads as 'Payments platform'."""
        return self.display_name or self.name.replace("-", " ").replace("_", " ").capitalize()


class Service(models.Model):
    class Tier(models.IntegerChoices):
        CRITICAL = 1, "Tier 1"
        IMPORTANT = 2, "Tier 2"
        OTHER = 3, "Tier 3"

    name = models.SlugField(max_length=150, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.OTHER)
    repo = models.CharField(max_length=200, blank=True, help_text="owner/name of its repository")
    runbook = models.CharField(max_length=500, blank=True, help_text="Runbook path or URL")
    lifecycle = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    depends_on = models.ManyToManyField("self", symmetrical=False, related_name="dependents", blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("approve_action", "Approve production actions on this service")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:detail", args=[self.name])

    @property
    def aliases(self) -> list[str]:
        return [a.name for a in self.alias_set.all() if a.name != self.name.lower()]


class ServiceAlias(models.Model):
    """Every name a vendor may use for a service, lower-cased, the service's own name included."""

    name = models.CharField(max_length=200, unique=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="alias_set")

    def __str__(self) -> str:
        return f"{self.name} → {self.service.name}"
