from django.contrib import admin

from approvals.models import ActionProposal, AuditEntry, Outbound, ProposalApproval
from incidentdesk.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor", "action", "run_id", "service", "touches_customer_data"]
    list_filter = ["action", "touches_customer_data"]


class ProposalApprovalInline(admin.TabularInline):
    model = ProposalApproval
    extra = 0
    can_delete = False
    readonly_fields = ["user", "comment", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ActionProposal)
class ActionProposalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "run", "service", "action", "target", "state", "requested_by", "created_at"]
    list_filter = ["state", "action"]
    search_fields = ["target", "service__name", "requested_by"]
    inlines = [ProposalApprovalInline]


@admin.register(Outbound)
class OutboundAdmin(ReadOnlyAdmin):
    list_display = ["run", "kind", "vendor", "state", "destination", "external_id", "updated_at"]
    list_filter = ["kind", "state", "vendor"]
