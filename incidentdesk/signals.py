"""The one way the core reaches the approvals app: a new packet version was stored.

Sent inside the transaction that stores it, so whatever a receiver writes (proposals for the
packet's approval items) commits or rolls back with the packet. A receiver's error is the
packet's error: the signal is sent with `send`, not `send_robust`.
"""

from django.dispatch import Signal

# Arguments: run (Run, its row locked), packet (the Packet just stored).
packet_stored = Signal()
