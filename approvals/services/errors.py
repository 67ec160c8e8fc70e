"""What the approval services raise; views turn them into 403 or a message on the form."""

from django.core.exceptions import PermissionDenied


class ApprovalNotAllowed(PermissionDenied):
    """The user does not hold `approve_action` on the service (answered with 403)."""


class ProposalRefused(ValueError):
    """The request is understood but cannot be done now; the message says why, for the page."""
