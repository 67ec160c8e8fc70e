"""Time the analysis on a large incident: 50 metric series and 20,000 log lines.

Run from the project root: `.venv/bin/python bench/bench_analysis.py`.
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incidentdesk.analysis.inputs import EvidenceItem, RunFacts  # noqa: E402
from incidentdesk.analysis.packet import build_packet  # noqa: E402
from incidentdesk.analysis.timeutil import iso_z  # noqa: E402

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=12)
SERVICES = [f"svc-{i:02d}" for i in range(13)]
METRICS = ("error_rate", "latency_p99_ms", "requests_per_s", "saturation")
BASE = {"error_rate": 0.003, "latency_p99_ms": 220.0, "requests_per_s": 300.0, "saturation": 0.45}
MESSAGES = (
    "GET /v1/items/{n} 200 {n}ms",
    "health check ok",
    "cache miss for key item:{n}, falling back to origin",
    "processed job {n} in {n}ms",
    "user_{n} signed in from [REDACTED:ip]",
)


def make_inputs(
    series: int = 50, lines: int = 20_000, seed: int = 1
) -> tuple[RunFacts, dict, list[EvidenceItem]]:
    rng = random.Random(seed)
    catalog = {
        "teams": [{"name": "team", "members": ["a"], "oncall": "a"}],
        "services": [
            {
                "name": s,
                "team": "team",
                "tier": 1,
                "repo": f"org/{s}",
                "depends_on": SERVICES[i + 1 : i + 3],
                "runbook": None,
                "aliases": [],
            }
            for i, s in enumerate(SERVICES)
        ],
    }
    evidence: list[EvidenceItem] = []

    def add(source: str, ref: str, data: dict, when: datetime | None = None) -> None:
        evidence.append(
            EvidenceItem(
                id=f"E{len(evidence) + 1}",
                source=source,
                ref=ref,
                service=data.get("service"),
                data=data,
                observed_at=when,
            )
        )

    for k in range(series):
        service, name = SERVICES[k // len(METRICS) % len(SERVICES)], METRICS[k % len(METRICS)]
        failing = service == SERVICES[0] and name == "error_rate"
        points = []
        for i in range(91):
            t = NOW - timedelta(minutes=90 - i)
            level = BASE[name] * (25 if failing and t >= ONSET else 1)
            points.append([iso_z(t), level * (1 + rng.gauss(0, 0.06))])
        add(
            "metrics",
            f"{service}:{name}:{k}",
            {"service": service, "name": name, "source": "prometheus", "step_seconds": 60, "points": points},
        )
    for i in range(lines):
        t = NOW - timedelta(seconds=rng.uniform(0, 5400))
        if t >= ONSET and rng.random() < 0.05:
            level, message = "error", f"order {rng.randint(1, 10**6)} failed: KeyError: 'item_ref'"
        else:
            level, message = "info", rng.choice(MESSAGES).replace("{n}", str(rng.randint(1, 10**6)))
        add(
            "logs",
            f"line-{i}",
            {
                "ts": iso_z(t),
                "service": rng.choice(SERVICES[:4]),
                "level": level,
                "message": message,
                "attributes": {},
            },
            when=t,
        )
    add(
        "deploys",
        "dep-1",
        {
            "id": "dep-1",
            "service": SERVICES[0],
            "environment": "production",
            "started_at": iso_z(ONSET - timedelta(minutes=10)),
            "finished_at": iso_z(ONSET - timedelta(minutes=6)),
            "status": "success",
            "pull_request": None,
        },
    )
    run = RunFacts(
        run_id="bench",
        service=SERVICES[0],
        service_hint=SERVICES[0],
        trigger_source="generic",
        title="bench",
        triggered_at=NOW,
        now=NOW,
    )
    return run, catalog, evidence


def main() -> None:
    run, catalog, evidence = make_inputs()
    build_packet(run=run, catalog=catalog, evidence=evidence, gaps=[])  # warm imports
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        packet = build_packet(run=run, catalog=catalog, evidence=evidence, gaps=[])
        timings.append(time.perf_counter() - start)
    print(
        f"50 metric series, 20,000 log lines: best {min(timings) * 1000:.0f} ms, "
        f"worst {max(timings) * 1000:.0f} ms over {len(timings)} runs; severity {packet['severity']}, "
        f"top cause {packet['hypotheses'][0]['kind']}"
    )


if __name__ == "__main__":
    main()
