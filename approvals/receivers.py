"""What the approvals app does when the core tells it something (incidentdesk.signals)."""

from approvals.services import proposals_sync


def packet_stored(sender, *, run, packet, **kwargs) -> None:
    """A new packet version: its approval items become proposals, stale ones are superseded."""
    proposals_sync(run=run, packet=packet)
