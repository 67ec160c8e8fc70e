"""A collectors backend with no sources: every source of every run is a gap (`not_configured`).

The storm benchmark measures intake and grouping; with this, each new run's collection is ten
gaps from the start (no source task is queued) and a packet that says so.
"""

from collectors.base import NotConfigured


def no_sources(source: str) -> list:
    raise NotConfigured(f"no {source} source configured for the storm benchmark")
