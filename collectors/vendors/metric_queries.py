"""Which query reads each metric: a vendor's defaults, overridden per metric from the environment."""

from collections.abc import Mapping

METRIC_NAMES = ("error_rate", "latency_p99_ms", "requests_per_s", "saturation")


def queries_from_env(defaults: Mapping[str, str], environ: Mapping[str, str], prefix: str) -> dict[str, str]:
    """`<prefix><NAME>` sets a metric's query (adding one with no default); empty, it skips that metric."""
    queries = dict(defaults)
    for name in METRIC_NAMES:
        override = environ.get(f"{prefix}{name.upper()}")
        if override is None:
            continue
        if override.strip():
            queries[name] = override.strip()
        else:
            queries.pop(name, None)
    return queries
