from approvals.models.audit import AuditEntry, AuditHead
from approvals.models.proposals import ActionProposal, Outbound, ProposalApproval

__all__ = ["ActionProposal", "AuditEntry", "AuditHead", "Outbound", "ProposalApproval"]
