from approvals.models.proposals import ActionProposal, Outbound, ProposalApproval

__all__ = ["ActionProposal", "Outbound", "ProposalApproval"]
