from django.contrib import admin

from approvals.models import ActionProposal, Outbound, ProposalApproval
from incidentdesk.admin import ReadOnlyAdmin


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
