"""Datadog reads: metric series, monitor states and log events of the run's services.

Three connectors share one configuration (API key, application key, site). Each
stops at the first failed call: what was read before it is kept and the note says
where it stopped; a failure before any record raises the SourceError.
"""

from collectors.vendors.datadog.client import DatadogConfig
from collectors.vendors.datadog.logs import DatadogLogs
from collectors.vendors.datadog.metrics import DEFAULT_QUERIES, DatadogMetrics
from collectors.vendors.datadog.monitors import DatadogMonitors, monitor_metric

__all__ = ["DEFAULT_QUERIES", "DatadogConfig", "DatadogLogs", "DatadogMetrics", "DatadogMonitors", "monitor_metric"]
