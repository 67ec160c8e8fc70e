from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from guardian.admin import GuardedModelAdmin

from incidentdesk.audit import audit_append
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
    """What a webhook said reaches the pages redacted; its raw body is kept only here, shown on an
    explicit request that is audited (it may hold personal data the vendor sent)."""

    list_display = ["pk", "source", "status", "http_status", "received_at", "reason"]
    list_filter = ["source", "status"]
    fields = ["source", "received_at", "status", "http_status", "reason", "delivery_id", "remote_addr",
              "headers", "attempts", "processed_at", "raw_body"]
    readonly_fields = fields

    @admin.display(description="Raw body")
    def raw_body(self, trigger: Trigger) -> str:
        url = reverse("admin:incidentdesk_trigger_raw", args=[trigger.pk])
        size = len(bytes(trigger.body))
        return format_html('<a href="{}">Show the raw request ({} bytes); the viewing is audited</a>', url, size)

    def get_urls(self):
        raw = path("<int:trigger_id>/raw/", self.admin_site.admin_view(self.raw_view), name="incidentdesk_trigger_raw")
        return [raw, *super().get_urls()]

    def raw_view(self, request, trigger_id: int) -> HttpResponse:
        trigger = Trigger.objects.filter(pk=trigger_id).first()
        if trigger is None:
            raise Http404("No such trigger")
        if not self.has_view_permission(request, trigger):
            raise PermissionDenied
        audit_append(actor=request.user.get_username(), action="trigger.raw_viewed",
                     detail={"trigger": trigger.pk, "source": trigger.source}, touches_customer_data=True)
        # Plain text, never rendered: the body is whatever the sender chose to send.
        response = HttpResponse(bytes(trigger.body), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="trigger-{trigger.pk}.txt"'
        return response


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
