from approvals.models.audit import AuditCheck, AuditEntry, AuditHead
from approvals.models.proposals import ActionProposal, Outbound, ProposalApproval

__all__ = ["ActionProposal", "AuditCheck", "AuditEntry", "AuditHead", "Outbound", "ProposalApproval"]
