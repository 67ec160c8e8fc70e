"""Fan-out benchmark: ten sources answering after 0.2-2 s; webhook to complete evidence.

Needs PostgreSQL and Redis on 127.0.0.1 (bin/services starts them). Creates a scratch
database `incidentdesk_bench`, starts a real Celery worker and a delayed HTTP server per
source, posts webhooks, and reports how long each run took to have every source's answer,
against the slowest source and the sum of all delays.

    .venv/bin/python bench/bench_fanout.py [--runs 5]

With `--together N`, N webhooks about N services arrive at once, as in a storm, and what is
reported is how long until every one of the N runs has all its evidence; `--pool` and
`--concurrency` set the worker's pool (threads, 12 by default).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "incidentdesk_bench"
SOURCES = ["deploys", "pull_requests", "metrics", "monitors", "logs", "errors", "feature_flags", "incidents",
           "runbooks", "change_calendar"]


def delayed_server(delays: dict[str, float]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            delay = delays[self.path.strip("/")]
            time.sleep(delay)
            body = json.dumps({"delay": delay}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _post(client, service: str) -> None:
    response = client.post("/hooks/generic/", data=json.dumps(
        {"service": service, "summary": "benchmark alert", "id": f"{service}-{time.time()}"}),
        content_type="application/json", secure=True, headers={"Authorization": "Bearer bench"})
    assert response.status_code == 202, response.content


def together(client, args, delays: dict[str, float]) -> None:
    from django.db.models import Count

    from incidentdesk.models import Run

    _post(client, "bench-svc-0")  # warms the worker's connections
    while not Run.objects.filter(collection=Run.Collection.DONE).exists():
        time.sleep(0.05)
    started = time.monotonic()
    for i in range(1, args.together + 1):
        _post(client, f"bench-svc-{i}")
    done_at: dict[int, float] = {}
    while len(done_at) < args.together:
        for pk in Run.objects.filter(collection=Run.Collection.DONE).exclude(service__name="bench-svc-0") \
                .exclude(pk__in=done_at).values_list("pk", flat=True):
            done_at[pk] = time.monotonic() - started
        if time.monotonic() - started > 300:
            raise SystemExit(f"only {len(done_at)} of {args.together} runs complete within 300 s")
        time.sleep(0.05)
    times = sorted(done_at.values())
    evidence = Run.objects.filter(pk__in=done_at).aggregate(n=Count("evidence"))["n"]
    print(f"{args.together} runs at once, {len(delays)} sources each answering after "
          f"{min(delays.values()):.2f} to {max(delays.values()):.2f} s; worker {args.pool} x {args.concurrency}")
    print(f"every run's evidence complete: first after {times[0]:.2f} s, median {times[len(times) // 2]:.2f} s, "
          f"last after {times[-1]:.2f} s ({evidence} evidence rows)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--together", type=int, default=0, help="open this many runs at once instead")
    parser.add_argument("--pool", default="threads")
    parser.add_argument("--concurrency", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(7)
    delays = {source: round(rng.uniform(0.2, 2.0), 2) for source in SOURCES}
    server = delayed_server(delays)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {DB}"], check=True)
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings", "DJANGO_DEBUG": "1", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}", "REDIS_URL": "redis://127.0.0.1:6379/14",
        "CELERY_TASK_ALWAYS_EAGER": "0", "COLLECTORS_BACKEND": "bench.fanout_backend:factory",
        "BENCH_SOURCES_URL": f"http://127.0.0.1:{server.server_address[1]}", "HOOK_SECRET_GENERIC": "bench",
        "COLLECT_SOURCE_DEADLINE_SECONDS": "5", "PYTHONPATH": str(ROOT),
    })
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "incidentdesk", "worker", f"--pool={args.pool}",
         f"--concurrency={args.concurrency}",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle"], cwd=ROOT, env=env)
    try:
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        import redis
        from django.test import Client

        from incidentdesk.models import Run
        from incidentdesk.services.catalog import catalog_load

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        catalog_load(catalog={
            "teams": [{"name": "bench-team", "members": [], "oncall": "", "slack_channel": ""}],
            "services": [{"name": f"bench-svc-{i}", "team": "bench-team", "tier": 1}
                         for i in range(max(args.runs, args.together) + 1)],
        })
        client = Client(HTTP_HOST="localhost")
        time.sleep(3)  # let the worker connect
        if args.together:
            together(client, args, delays)
            return
        results = []
        for i in range(args.runs + 1):
            started = time.monotonic()
            _post(client, f"bench-svc-{i}")
            while True:
                run = Run.objects.filter(service__name=f"bench-svc-{i}", collection=Run.Collection.DONE).first()
                if run:
                    break
                if time.monotonic() - started > 60:
                    raise SystemExit("a run did not complete within 60 s")
                time.sleep(0.01)
            wall = time.monotonic() - started
            evidence = run.evidence.count()
            if i > 0:  # the first run warms the worker's connections
                results.append((wall, evidence))
        slowest, total = max(delays.values()), sum(delays.values())
        print(f"sources: {', '.join(f'{k} {v:.2f}s' for k, v in delays.items())}")
        print(f"slowest source {slowest:.2f} s; all delays added up {total:.2f} s")
        for n, (wall, evidence) in enumerate(results, 1):
            print(f"run {n}: webhook to complete evidence {wall:.2f} s ({evidence} evidence rows, "
                  f"{wall - slowest:+.2f} s over the slowest source)")
        walls = sorted(w for w, _ in results)
        print(f"median {walls[len(walls) // 2]:.2f} s vs slowest {slowest:.2f} s and sum {total:.2f} s")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.shutdown()


if __name__ == "__main__":
    main()
