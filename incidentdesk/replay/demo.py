"""The demo's data: every replay scenario, moved in time so that it has just happened.

Each scenario is replayed the way `replay` does it, through the webhook view with the clock frozen
at its `now`, after moving the whole scenario (timeshift) into the minute before the demo starts.
Every row and audit entry is therefore written at the moved time as it happens, and nothing is
rewritten afterwards (the audit trail is hash-chained); the desk's proposals are open for the
policy's `approval_expiry_minutes` from the moment their scenario ended.
"""

import json
import logging
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.test.utils import override_settings

from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.models import AuditEntry, Run, Service
from incidentdesk.policy import current_policy
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import ScenarioError, scenario_load
from incidentdesk.replay.timeshift import scenario_moved

SEEDED = "demo.seeded"
# Demo runs resolved with a confirmed cause, so the scorecard and the postmortem drafts have
# something real to show; taken among runs with no proposal, so the approval walk is untouched.
RESOLVED_RUNS = 6


@dataclass(frozen=True)
class Replayed:
    path: Path
    packet: dict | None = None
    error: str | None = None


def demo_replay(paths: Sequence[Path], *, start: datetime) -> Iterator[Replayed]:
    """Replay the scenarios in order, each moved into the minute before `start`.

    Each scenario stays its own run: scenarios written years apart may name the same service, and
    the desk would join a trigger to that service's open run. While seeding, the join window ends
    a minute in the future, where no run's last event is, so a trigger joins a run only through
    its vendor's incident key.
    Side effects: the scenarios' catalogs, runs, evidence, packets, proposals and audit entries.
    """
    # Every task logs a line as it runs: hundreds while seeding, burying what the command says.
    quiet = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        with override_settings(RUN_JOIN_WINDOW_MINUTES=-1):
            for path in paths:
                try:
                    packet = replay_scenario(scenario_moved(scenario_load(path), to=start - timedelta(minutes=1)))
                except ScenarioError as exc:
                    yield Replayed(path, error=str(exc))
                else:
                    yield Replayed(path, packet=packet)
    finally:
        logging.disable(quiet)


def demo_resolved_runs() -> list[Run]:
    """The demo runs its on-call resolves with a cause (see RESOLVED_RUNS)."""
    return list(
        Run.objects.filter(proposals__isnull=True, packets__complete=True, service__isnull=False)
        .exclude(current_oncall="").distinct().order_by("pk")[:RESOLVED_RUNS]
    )


def demo_seeded_mark(*, scenarios: int, runs: int) -> None:
    """Record in the audit trail that the demo's seeding finished; until then the data is partial."""
    audit_append(actor="seed_demo", action=SEEDED, detail={"scenarios": scenarios, "runs": runs})


@dataclass(frozen=True)
class DemoState:
    seeded_at: datetime  # when the first demo run happened; webhooks posted since opened newer ones
    open_until: datetime  # when its proposals expire, the first of the seeded ones to do so
    complete: bool  # False when the seeding was cut short

    @property
    def stale(self) -> bool:
        return not self.complete or self.open_until <= clock.now()


def demo_state() -> DemoState | None:
    """What the database holds of the demo; None when it holds no run at all."""
    first = Run.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return None
    return DemoState(
        seeded_at=first,
        open_until=first + timedelta(minutes=current_policy().approval_expiry_minutes),
        complete=AuditEntry.objects.filter(action=SEEDED).exists(),
    )


def webhook_service() -> Service | None:
    """A catalog service with no run yet, so that a posted webhook opens a run of its own."""
    return Service.objects.filter(runs__isnull=True, team__group__user__isnull=False).order_by("name").first()


def generic_hook_curl(*, base_url: str, secret: str, service: str) -> str:
    """A `curl` that posts a support spike to the generic endpoint, as the README's form describes it."""
    body = json.dumps(
        {
            "service": service,
            "summary": f"Support tickets about {service} are piling up",
            "kind": "support_spike",
            "count": 37,
            "baseline": 2,
            "window_minutes": 60,
        }
    )
    return " ".join(
        [
            "curl -sS",
            shlex.quote(f"{base_url.rstrip('/')}/hooks/generic/"),
            "-H", shlex.quote(f"Authorization: Bearer {secret}"),
            "-H", shlex.quote("Content-Type: application/json"),
            "-d", shlex.quote(body),
        ]
    )
