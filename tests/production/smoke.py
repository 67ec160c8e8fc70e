"""Production smoke test: the desk installed from requirements.txt alone, started as the Procfile says.

Run by bin/smoke with the Python of var/runtime-venv (bin/runtime-venv), against PostgreSQL and
Redis on 127.0.0.1 (bin/services starts them), with DJANGO_DEBUG off and the production settings:

1. imports every module of the project and every class its settings name;
2. makes the database incidentdesk_smoke anew and empties Redis DB 12;
3. runs `check --deploy`, the Procfile's release command (migrate) and `collectstatic`;
4. starts the Procfile's web (granian, on a free port), worker and beat, each logging to var/smoke/;
5. posts a signed PagerDuty webhook and waits for the worker to group it into a run and build its
   packet, the runbook, change calendar and incident history sources read;
6. fetches the run's page through the web process as a signed-in responder, and its static files;
7. sees beat's sweeper sent and run by the worker, no process gone and no traceback logged;
8. stops the processes, drops the database and empties Redis DB 12, also after a failure.

It ends non-zero at the first failure, saying which step failed and how, with the tail of the
failing process's output.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from tests.production.procfile import ROOT, DeskProcess, ProcessFailed, procfile_commands, stop_all

DB = "incidentdesk_smoke"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/12"
WORK = ROOT / "var" / "smoke"
SERVICE = "smoke-api"
RESPONDER = "smoke-responder"
HOOK_SECRET = secrets.token_hex(16)
CATALOG = {
    "teams": [{"name": "smoke-team", "members": [RESPONDER], "oncall": RESPONDER, "slack_channel": ""}],
    "services": [{"name": SERVICE, "team": "smoke-team", "tier": 1, "aliases": ["PSMOKE"],
                  "runbook": f"{SERVICE}.md", "depends_on": [], "repo": None}],
}
# Sources read from local files: the worker needs their parsers (icalendar, recurring-ical-events).
READ_SOURCES = ("runbooks", "change_calendar", "incidents")
CHANGE_CALENDAR = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//incident desk//smoke//EN
BEGIN:VEVENT
UID:smoke-deploy-window@example.com
DTSTAMP:20260101T000000Z
DTSTART:20260101T090000Z
DTEND:20260101T100000Z
RRULE:FREQ=DAILY
SUMMARY:{SERVICE} deploy window
CATEGORIES:deploy
END:VEVENT
END:VCALENDAR
"""


class SmokeFailed(Exception):
    pass


def production_env(port: int) -> dict[str, str]:
    """The processes' whole environment: the caller's own variables (a development PYTHONPATH, a
    vendor token) stay out, and the runtime venv comes first on PATH, as the Procfile expects."""
    inherited = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TZ")}
    return {
        **inherited,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{POSTGRES}/{DB}",
        "REDIS_URL": REDIS_URL,
        "HOOK_SECRET_PAGERDUTY": HOOK_SECRET,
        "RUNBOOKS_DIR": str(WORK / "runbooks"),
        "CHANGE_CALENDAR_FILE": str(WORK / "changes.ics"),
        "SWEEP_INTERVAL_SECONDS": "2",
        "PORT": str(port),
        "BEAT_SCHEDULE_FILE": str(WORK / "celerybeat-schedule"),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def run_command(label: str, command: str, env: dict[str, str]) -> None:
    done = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise SmokeFailed(f"{label} (`{command}`) exited with status {done.returncode}:\n"
                          f"{(done.stdout + done.stderr)[-3000:]}")


def database_recreate(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB}")


def redis_empty() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def pagerduty_trigger() -> tuple[bytes, dict[str, str]]:
    """A PagerDuty V3 incident.triggered delivery about the smoke service, signed as PagerDuty signs."""
    from incidentdesk.replay.signing import sign

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = json.dumps({"event": {
        "id": f"01SMOKE{secrets.token_hex(4)}", "event_type": "incident.triggered",
        "resource_type": "incident", "occurred_at": now, "agent": None, "client": {"name": "Datadog"},
        "data": {"id": "QSMOKE1", "type": "incident", "number": 1, "status": "triggered", "urgency": "high",
                 "title": f"{SERVICE} 5xx > 5%", "created_at": now,
                 "html_url": "https://acme.pagerduty.com/incidents/QSMOKE1",
                 "service": {"id": "PSMOKE", "summary": SERVICE, "type": "service_reference"}}}}).encode()
    headers = {"Content-Type": "application/json", "X-Webhook-Id": f"smoke-{secrets.token_hex(4)}",
               **sign("pagerduty", body, HOOK_SECRET, timestamp=int(time.time()))}
    return body, headers


def run_with_packet(worker: DeskProcess, timeout: float = 60):
    from incidentdesk.models import Run, Trigger

    deadline = time.monotonic() + timeout
    while True:
        run = Run.objects.filter(service__name=SERVICE, collection=Run.Collection.DONE,
                                 packets__complete=True).first()
        if run is not None:
            return run
        worker.check_running()
        if time.monotonic() > deadline:
            triggers = list(Trigger.objects.values_list("source", "status", "reason"))
            runs = list(Run.objects.values_list("service__name", "collection"))
            raise SmokeFailed(f"no run with a complete packet after {timeout:.0f} s; triggers {triggers}, "
                              f"runs {runs}; the worker's output ends:\n{worker.tail()}")
        time.sleep(0.2)


def sources_not_read(run) -> list[str]:
    from incidentdesk.models import SourceCollection

    states = dict(run.collections.values_list("source", "state"))
    reasons = dict(run.collections.values_list("source", "reason"))
    return [f"{source}: {states.get(source, 'never started')} {reasons.get(source, '')}".strip()
            for source in READ_SOURCES if states.get(source) != SourceCollection.State.DONE]


def page_with_static_files(base: str, path: str, cookie: str) -> list[str]:
    """The page as a signed-in responder behind a TLS proxy gets it, and every static file it links."""
    import httpx

    headers = {"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        page = client.get(path)
        if page.status_code != 200:
            raise SmokeFailed(f"GET {path} answered {page.status_code} {page.headers.get('location', '')}")
        if SERVICE not in page.text:
            raise SmokeFailed(f"GET {path} is not the run's page:\n{page.text[:1000]}")
        static = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)))
        if not static:
            raise SmokeFailed(f"GET {path} links no static file")
        for url in static:
            asset = client.get(url)
            if asset.status_code != 200 or not asset.content:
                raise SmokeFailed(f"GET {url} answered {asset.status_code} with {len(asset.content)} bytes")
            if not re.search(r"\.[0-9a-f]{12}\.", url):
                raise SmokeFailed(f"{url} is not a name from collectstatic's manifest")
    return static


class Steps:
    def __init__(self) -> None:
        self.current = "start"
        self.count = 0

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.current, self.count = label, self.count + 1
        started = time.monotonic()
        print(f"smoke: {self.count}. {label}", flush=True)
        yield
        print(f"smoke:    ok, {time.monotonic() - started:.1f} s", flush=True)


def smoke(steps: Steps, processes: list[DeskProcess]) -> None:
    for port, what in ((5432, "PostgreSQL"), (6379, "Redis")):
        if not reachable(port):
            raise SmokeFailed(f"{what} is not running on 127.0.0.1:{port} (bin/services starts it)")
    env = production_env(free_port())
    # This process reads the settings and the database the processes it starts use.
    os.environ.clear()
    os.environ.update(env)
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "runbooks").mkdir(parents=True)
    (WORK / "runbooks" / f"{SERVICE}.md").write_text(f"# {SERVICE}\n\n## 5xx\n\nLook at the last deploy.\n")
    (WORK / "changes.ics").write_text(CHANGE_CALENDAR.replace("\n", "\r\n"))
    commands = procfile_commands()

    with steps.step("import every module of the project and what its settings name"):
        import django

        django.setup()
        # The web's handler is built on import of incidentdesk.wsgi, before collectstatic has run.
        warnings.filterwarnings("ignore", "No directory at", UserWarning)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        from tests.production.modules import import_failures

        imported, failures = import_failures()
        if failures:
            raise SmokeFailed(f"{len(failures)} of {imported} imports failed:\n" + "\n".join(failures))
        print(f"smoke:    {imported} imported", flush=True)

    with steps.step(f"make the database {DB} anew, empty Redis DB 12"):
        database_recreate()
        redis_empty()

    with steps.step("check --deploy, the Procfile's release (migrate), collectstatic"):
        run_command("check --deploy", "python manage.py check --deploy --fail-level WARNING", env)
        run_command("release", commands["release"], env)
        run_command("collectstatic", "python manage.py collectstatic --noinput", env)

    base = f"http://127.0.0.1:{env['PORT']}"
    with steps.step("start the Procfile's web, worker and beat"):
        print(f"smoke:    web on {base}, logs in {WORK.relative_to(ROOT)}/", flush=True)
        web, worker, beat = (DeskProcess(name, commands[name], env=env, log=WORK / f"{name}.log")
                             for name in ("web", "worker", "beat"))
        for process in (web, worker, beat):
            processes.append(process.start())
        worker.wait_for_output(r"Connected to redis://")
        worker.wait_for_output(r"celery@\S+ ready\.")
        web.wait_http(f"{base}/healthz")
        beat.wait_for_output(r"beat: Starting")

    with steps.step("a signed PagerDuty webhook, grouped by the worker into a run with its packet"):
        import httpx

        from incidentdesk.services.catalog import catalog_load

        catalog_load(catalog=CATALOG)
        body, headers = pagerduty_trigger()
        reply = httpx.post(f"{base}/hooks/pagerduty/", content=body, headers=headers, timeout=10)
        if reply.status_code != 202:
            raise SmokeFailed(f"the webhook got {reply.status_code}: {reply.text[:500]}\n"
                              f"the web process's output ends:\n{web.tail()}")
        run = run_with_packet(worker)
        not_read = sources_not_read(run)
        if not_read:
            raise SmokeFailed(f"sources not read by the worker: {'; '.join(not_read)}\n"
                              f"the worker's output ends:\n{worker.tail()}")
        print(f"smoke:    run {run.pk}, packet version {run.packets.order_by('-version').first().version}",
              flush=True)

    with steps.step("the run's page and its static files through the web process"):
        from bench.storm_pages import session_cookie

        static = page_with_static_files(base, run.get_absolute_url(), session_cookie(RESPONDER))
        print(f"smoke:    {len(static)} static files: {', '.join(static)}", flush=True)

    with steps.step("beat's sweeper sent and run by the worker; every process up, no traceback"):
        beat.wait_for_output(r"Sending due task sweep-unprocessed")
        worker.wait_for_output(r"Task incidentdesk\.sweep\[[^\]]+\] succeeded")
        for process in processes:
            process.check_running()
            if "Traceback" in process.output():
                raise SmokeFailed(f"{process.name} logged a traceback; its output ends:\n{process.tail()}")


def cleanup(processes: list[DeskProcess]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second stop waits for this one
    stop_all(processes)
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django may be what failed to import
        pass
    try:
        database_recreate(drop_only=True)
        redis_empty()
    except Exception as exc:  # a failure here must not hide the smoke test's own
        print(f"smoke: cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)


def stopped_from_outside(*_) -> None:
    """SIGTERM (a CI timeout, say): leave through the cleanup, which stops what was started."""
    print("smoke: stopped by SIGTERM", file=sys.stderr)
    sys.exit(143)


def main() -> int:
    started = time.monotonic()
    steps, processes = Steps(), []
    signal.signal(signal.SIGTERM, stopped_from_outside)
    print(f"smoke: {sys.executable} (Python {sys.version.split()[0]})", flush=True)
    try:
        smoke(steps, processes)
    except (SmokeFailed, ProcessFailed) as exc:
        print(f"smoke: FAILED at {steps.current!r}: {exc}", file=sys.stderr)
        return 1
    except Exception:  # an unforeseen failure, reported with its step
        traceback.print_exc()
        print(f"smoke: FAILED at {steps.current!r}", file=sys.stderr)
        return 1
    finally:
        cleanup(processes)
    print(f"smoke: passed in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
