"""A collectors backend with no sources: every source of every run is a gap (`not_configured`).

The storm benchmark measures intake and grouping; this keeps each new run's collection to
ten quick gaps and a packet that says so.
"""

from collectors.base import NotConfigured


def no_sources(source: str) -> list:
    raise NotConfigured(f"no {source} source configured for the storm benchmark")
