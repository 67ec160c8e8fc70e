"""Alert storm benchmark: 10,000 signed webhooks about 20 services, with retries, at a real desk.

Needs PostgreSQL and Redis on 127.0.0.1 (bin/services starts them). Creates a scratch database
`incidentdesk_storm`, runs migrate and collectstatic (the pages need its manifest), uses Redis
DB 13, starts granian on 127.0.0.1:8031 and a Celery worker, then sends the storm from this
process (bench/storm_load.py: raw asyncio sockets, closed loop) and checks what the desk made of it:

- accepted per second, p50/p99 latency of the replies;
- how long after the storm's last reply every alert was grouped into a run;
- one run per service, every alert attached to exactly one run, every retry acknowledged as a
  duplicate and not processed again, nothing lost.

Collection is switched off for the storm by configuring no sources (every source is a gap,
bench/storm_backend.py): what is measured is intake and grouping.

    .venv/bin/python bench/bench_storm.py [--alerts 10000] [--services 20] [--web-workers 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.storm_load import percentile, send_all  # noqa: E402
from bench.storm_pages import PageWatcher, session_cookie  # noqa: E402
from bench.storm_payloads import VENDORS, service_names, storm  # noqa: E402
from tests.production.procfile import DeskProcess, stop_all, worker_command  # noqa: E402

DB = "incidentdesk_storm"
REDIS = "redis://127.0.0.1:6379/13"
SECRET = "storm-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Connector settings a developer's shell may carry: the storm configures no source at all.
CONNECTOR_VARIABLES = ("PROMETHEUS_URL", "LOKI_URL", "GITHUB_TOKEN", "SENTRY_URL", "DD_API_KEY", "DD_APP_KEY",
                       "LAUNCHDARKLY_API_TOKEN", "PAGERDUTY_API_TOKEN", "RUNBOOKS_DIR", "CHANGE_CALENDAR_URL",
                       "CHANGE_CALENDAR_FILE")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def pids_named(name: str) -> list[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def tree(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    children = [int(p) for p in out.split()]
    return [pid] + [p for child in children for p in tree(child)]


def desk_env(args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONNECTOR_VARIABLES}
    env.update({
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "storm-benchmark-only-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}", "REDIS_URL": REDIS,
        "CELERY_TASK_ALWAYS_EAGER": "0", "COLLECTORS_BACKEND": "bench.storm_backend:no_sources",
        "PYTHONPATH": str(ROOT), "COLLECT_RUN_DEADLINE_SECONDS": "30",
    })
    for source in VENDORS:
        env[f"HOOK_SECRET_{source.upper()}"] = SECRET
    return env


def web_command(args) -> list[str]:
    return [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(args.port), "--workers", str(args.web_workers), "--blocking-threads", str(args.web_threads),
            "--backlog", "2048", "--http", "1", "--no-ws", "--access-log", "incidentdesk.wsgi:application"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--retries", type=float, default=0.1, help="share of alerts sent again, same bytes")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-pool", default="threads", help="as in the Procfile")
    parser.add_argument("--worker-concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8031)
    parser.add_argument("--profile", metavar="DIR", help="py-spy record the web and Celery workers into DIR (slows them)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args()

    env = desk_env(args)
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run(psql + [f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"], check=True)
    subprocess.run(psql + [f"CREATE DATABASE {DB}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)
    os.environ.update(env)
    import django

    django.setup()
    import redis
    from django.db import connection
    from django.db.models import Count, Max

    from incidentdesk.models import Run, RunEvent, Trigger
    from incidentdesk.services.catalog import catalog_load

    redis.Redis.from_url(REDIS).flushdb()
    names = service_names(args.services)
    catalog_load(catalog={
        "teams": [{"name": f"storm-team-{t}", "members": ["storm-watcher"] if t == 0 else [],
                   "oncall": f"oncall-{t}", "slack_channel": ""} for t in range(4)],
        "services": [{"name": name, "team": f"storm-team-{i % 4}", "tier": 1, "aliases": [f"svc{i}"]}
                     for i, name in enumerate(names)],
    })
    cookie = session_cookie("storm-watcher")
    connection.close()

    var = ROOT / "var"
    command = worker_command(pool=args.worker_pool, concurrency=args.worker_concurrency,
                             name=f"storm-{os.getpid()}")
    worker = DeskProcess("worker", command, env={**env, "LOG_LEVEL": "INFO"}, log=var / "storm-worker.log")
    web = DeskProcess("web", web_command(args), env=env, log=var / "storm-web.log")
    profilers: list[subprocess.Popen] = []
    try:
        worker.start()
        web.start()
        worker.wait_for_output(r" ready\.")
        healthz = f"http://127.0.0.1:{args.port}/healthz"
        for _ in range(args.web_workers * 4 + 1):  # every web worker has imported the views and connected
            web.wait_http(healthz)
        requests = storm(alerts=args.alerts, services=args.services, retry_share=args.retries,
                         secret=SECRET, host="127.0.0.1")
        web_pids, worker_pids = tree(web.pid), tree(worker.pid)
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            profilers = [
                subprocess.Popen(
                    [py_spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "200", "--nonblocking",
                     "--format", "raw", "-o", str(Path(args.profile) / f"{name}.folded")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for name, pid in (("web", web.pid), ("worker", worker.pid))]
            time.sleep(2)
        before = {"web": cpu_seconds(web_pids), "worker": cpu_seconds(worker_pids),
                  "postgres": cpu_seconds(pids_named("postgres")), "redis": cpu_seconds(pids_named("redis-server")),
                  "load generator": cpu_seconds([os.getpid()]), "machine": machine_busy_seconds()}

        watcher = PageWatcher(f"http://127.0.0.1:{args.port}", cookie)
        watcher.start()
        replies, started, ended = send_all("127.0.0.1", args.port, [a.raw for a in requests],
                                           concurrency=args.concurrency)
        watcher.stop()
        sent_for = ended - started

        # Every trigger grouped: nothing left waiting.
        deadline = time.monotonic() + 180
        while Trigger.objects.filter(status=Trigger.Status.RECEIVED).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        settled = time.time()
        after = {"web": cpu_seconds(web_pids), "worker": cpu_seconds(worker_pids),
                 "postgres": cpu_seconds(pids_named("postgres")), "redis": cpu_seconds(pids_named("redis-server")),
                 "load generator": cpu_seconds([os.getpid()]), "machine": machine_busy_seconds()}
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
        for profiler in profilers:
            profiler.wait(timeout=60)

        statuses = Counter(r.status for r in replies)
        errors = Counter(r.error.split("(")[0] for r in replies if r.error)
        originals = [r for r, a in zip(replies, requests) if a.retry_of is None]
        retries = [r for r, a in zip(replies, requests) if a.retry_of is not None]
        latencies = [r.latency for r in replies if r.status]
        accepted = sum(1 for r in replies if r.status in (200, 202))
        last_processed = Trigger.objects.aggregate(last=Max("processed_at"))["last"]
        grouped_after = (last_processed.timestamp() - ended) if last_processed else float("nan")
        waiting = Trigger.objects.filter(status=Trigger.Status.RECEIVED).count()
        processed = Trigger.objects.filter(status=Trigger.Status.PROCESSED).count()
        duplicates = Trigger.objects.filter(status=Trigger.Status.DUPLICATE).count()
        rejected = Trigger.objects.filter(status=Trigger.Status.REJECTED).count()
        runs = Run.objects.count()
        runs_per_service = Counter(Run.objects.values_list("service__name", flat=True))
        events = RunEvent.objects.count()
        attached_twice = (RunEvent.objects.values("trigger_id").annotate(n=Count("id")).filter(n__gt=1).count())
        processed_without_event = Trigger.objects.filter(
            status=Trigger.Status.PROCESSED, run_events__isnull=True).count()
        # Runs per service: alerts of a service all on that service's run.
        misplaced = RunEvent.objects.exclude(run__service__name__in=names).count()
        report = {
            "alerts": args.alerts, "retries_sent": len(retries), "requests": len(requests),
            "web": f"granian {args.web_workers} WSGI workers of {args.web_threads} threads",
            "worker": f"celery {args.worker_pool} {args.worker_concurrency}", "concurrency": args.concurrency,
            "storm_seconds": round(sent_for, 2),
            "accepted_per_second": round(accepted / sent_for, 1),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            # Which of the replies, in sending order, were the slowest ten: warm-up or mid-storm.
            "slowest_positions": sorted(r.index for r in sorted(replies, key=lambda r: r.latency)[-10:]),
            "grouped_seconds_after_storm": round(grouped_after, 2),
            "replies": dict(statuses), "client_errors": dict(errors),
            # A retry can overtake its original; then the original is the one acknowledged as a duplicate.
            "originals_202": sum(1 for r in originals if r.status == 202),
            "retries_acknowledged_duplicate": sum(1 for r in retries if r.status == 200
                                                  and r.body.get("status") == "duplicate"),
            "retries_accepted_as_new": sum(1 for r in retries if r.status == 202),
            "triggers_processed": processed, "triggers_duplicate": duplicates, "triggers_rejected": rejected,
            "triggers_waiting": waiting, "runs": runs, "runs_per_service_max": max(runs_per_service.values() or [0]),
            "services_with_a_run": len(runs_per_service), "run_events": events,
            "alerts_attached_twice": attached_twice, "processed_without_a_run_event": processed_without_event,
            "events_on_a_wrong_service": misplaced,
            # postgres counts every backend alive at both ends, others' included; "machine" is every
            # process on the machine, so the rest of it is what else was running at the time.
            "cpu_seconds": {k: round(after[k] - before[k], 1) for k in before},
            "machine_cores_busy": round((after["machine"] - before["machine"]) / (settled - started), 2),
            "settled_seconds_after_storm": round(settled - ended, 2),
            # The pages a responder opens, fetched every 0.5 s during the storm.
            "pages": {label: {"fetched": len(got), "statuses": dict(Counter(s for s, _ in got)),
                              "p50_ms": round(percentile([t for _, t in got], 0.50) * 1000, 1),
                              "max_ms": round(max(t for _, t in got) * 1000, 1)}
                      for label, got in watcher.samples.items()},
        }
        pages_ok = bool(report["pages"]) and all(set(p["statuses"]) == {200} for p in report["pages"].values())
        ok = (pages_ok and waiting == 0 and processed == events == args.alerts and attached_twice == 0
              and runs == args.services == len(runs_per_service) and not errors
              and statuses[202] == args.alerts and duplicates == len(retries)
              and report["retries_acknowledged_duplicate"] + report["retries_accepted_as_new"] == len(retries))
        print(f"storm: {len(requests)} requests ({args.alerts} alerts about {args.services} services from "
              f"{', '.join(VENDORS)}, {len(retries)} retries) in {sent_for:.2f} s, {args.concurrency} connections")
        print(f"desk: {report['web']}, {report['worker']}, PostgreSQL and Redis on this machine")
        print(f"accepted {report['accepted_per_second']:.0f}/s; latency p50 {report['p50_ms']} ms, "
              f"p99 {report['p99_ms']} ms, max {report['max_ms']} ms; replies {dict(statuses)}")
        print(f"every alert grouped {grouped_after:.2f} s after the storm's last reply")
        for label, page in report["pages"].items():
            print(f"during the storm, {label}: {page['fetched']} fetches {page['statuses']}, "
                  f"p50 {page['p50_ms']} ms, max {page['max_ms']} ms")
        print(f"{runs} runs for {len(runs_per_service)} services; {events} alerts attached "
              f"({attached_twice} twice); {processed} processed, {duplicates} retries kept as duplicates "
              f"({report['retries_accepted_as_new']} accepted as new), {waiting} still waiting, {rejected} rejected")
        print("cpu seconds from the storm's start until all was grouped: "
              + ", ".join(f"{k} {v}" for k, v in report["cpu_seconds"].items())
              + f" (machine: {report['machine_cores_busy']} of {os.cpu_count()} cores busy on average)")
        print("check: " + ("every alert on its service's run, once; no loss" if ok else "FAILED"))
        if args.json:
            print(json.dumps(report))
        if not ok:
            raise SystemExit(1)
    finally:
        stop_all([web, worker])


if __name__ == "__main__":
    main()
