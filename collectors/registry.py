"""Which connectors answer each source: one explicit registry, first configured wins per vendor.

Entries are import paths so a connector's vendor client is only imported when used.
"""

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from collectors.base import SOURCES, Connector, NotConfigured

REGISTRY: dict[str, tuple[str, ...]] = {
    "deploys": ("collectors.vendors.github:GitHubDeploys",),
    "pull_requests": ("collectors.vendors.github:GitHubPullRequests",),
    "metrics": ("collectors.vendors.datadog:DatadogMetrics", "collectors.vendors.prometheus:PrometheusMetrics"),
    "monitors": ("collectors.vendors.datadog:DatadogMonitors",),
    "logs": ("collectors.vendors.datadog:DatadogLogs", "collectors.vendors.loki:LokiLogs"),
    "errors": ("collectors.vendors.sentry:SentryErrors",),
    "feature_flags": ("collectors.vendors.launchdarkly:LaunchDarklyFlagChanges",),
    "incidents": ("collectors.history:DeskIncidentHistory", "collectors.vendors.pagerduty:PagerDutyIncidents"),
    "runbooks": ("collectors.vendors.runbooks:Runbooks",),
    "change_calendar": ("collectors.vendors.ical:ICalChangeCalendar",),
}
assert set(REGISTRY) == set(SOURCES)

BackendFactory = Callable[[str], list[Connector]]
_backend: BackendFactory | None = None


def _load(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _configured_backend() -> BackendFactory | None:
    from django.conf import settings

    path = getattr(settings, "COLLECTORS_BACKEND", "")
    return _load(path) if path else None


def connectors_for(source: str) -> list[Connector]:
    """The configured connectors for a source. Raises NotConfigured when there is none."""
    factory = _backend or _configured_backend()
    if factory is not None:
        return factory(source)
    found: list[Connector] = []
    missing: list[str] = []
    for path in REGISTRY[source]:
        try:
            cls = _load(path)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{path}: {exc}")
            continue
        try:
            found.append(cls.from_env())
        except NotConfigured as exc:
            missing.append(exc.detail or path)
    if not found:
        raise NotConfigured("; ".join(missing))
    return found


@contextmanager
def backend(factory: BackendFactory) -> Iterator[None]:
    """Answer every source from `factory` instead of the vendors (the replay backend)."""
    global _backend
    previous, _backend = _backend, factory
    try:
        yield
    finally:
        _backend = previous
