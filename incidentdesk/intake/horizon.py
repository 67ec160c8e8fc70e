"""The replay horizon: how old a signed delivery may be and still be taken.

Dedup refuses a captured body only while its first copy is on record. A vendor stops sending
a delivery after a while (PagerDuty retries for up to 48 h; GitHub redelivers by hand for 3
days), so a signed body older than that is somebody resending it, whatever its headers say.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta


def replay_refusal(
    *, source: str, signed_at: datetime | None, now: datetime, horizon_hours: Mapping[str, float]
) -> str | None:
    """Why a delivery made at `signed_at` is refused as a replay; None when it may be taken.

    Sources without a horizon, and bodies without a signed time, are never refused here.
    """
    hours = horizon_hours.get(source)
    if hours is None or signed_at is None or signed_at >= now - timedelta(hours=hours):
        return None
    return (
        f"replayed delivery: signed at {signed_at.isoformat()}, older than the {hours:g}-hour "
        f"replay horizon for {source} (HOOK_REPLAY_HORIZON_HOURS_{source.upper()})"
    )
