from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from incidentdesk.models import (
    AuditEntry,
    Evidence,
    Packet,
    Run,
    Service,
    ServiceAlias,
    SourceCollection,
    Team,
    Trigger,
)


class ServiceAliasInline(admin.TabularInline):
    model = ServiceAlias
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "oncall", "slack_channel"]
    search_fields = ["name"]


@admin.register(Service)
class ServiceAdmin(GuardedModelAdmin):
    list_display = ["name", "team", "tier", "repo"]
    list_filter = ["tier", "team"]
    search_fields = ["name", "repo"]
    filter_horizontal = ["depends_on"]
    inlines = [ServiceAliasInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """State changes go through the services (permission checks, audit); the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trigger)
class TriggerAdmin(ReadOnlyAdmin):
    list_display = ["pk", "source", "status", "http_status", "received_at", "reason"]
    list_filter = ["source", "status"]
    readonly_fields = ["body_text"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["pk", "title", "service", "severity", "status", "triggered_at"]
    list_filter = ["status", "severity"]
    search_fields = ["title"]
    fields = ["title", "service", "status", "severity", "cause", "resolution"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["pk", "run", "source", "ref", "service", "observed_at"]
    list_filter = ["source"]


@admin.register(Packet)
class PacketAdmin(ReadOnlyAdmin):
    list_display = ["run", "version", "complete", "created_at"]


@admin.register(SourceCollection)
class SourceCollectionAdmin(ReadOnlyAdmin):
    list_display = ["run", "source", "state", "reason", "item_count"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor", "action", "run_id", "service", "touches_customer_data"]
    list_filter = ["action", "touches_customer_data"]
