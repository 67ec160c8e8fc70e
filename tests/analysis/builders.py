"""Small synthetic incidents for tests: plain evidence, no scenario files, no fixed names."""

from datetime import UTC, datetime, timedelta

import numpy as np

from incidentdesk.analysis.inputs import EvidenceItem, RunFacts
from incidentdesk.analysis.timeutil import iso_z

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
ONSET = NOW - timedelta(minutes=12)


def catalog(tier: int = 1, runbook: str | None = None) -> dict:
    return {
        "teams": [
            {"name": "team-alpha", "members": ["a1", "a2"], "oncall": "a1"},
            {"name": "team-beta", "members": ["b1"], "oncall": "b1"},
        ],
        "services": [
            {
                "name": "svc-front",
                "team": "team-alpha",
                "tier": tier,
                "repo": "org/svc-front",
                "depends_on": ["svc-mid"],
                "runbook": runbook,
                "aliases": ["front"],
            },
            {
                "name": "svc-mid",
                "team": "team-alpha",
                "tier": 2,
                "repo": "org/svc-mid",
                "depends_on": ["svc-deep"],
                "runbook": None,
                "aliases": [],
            },
            {
                "name": "svc-deep",
                "team": "team-beta",
                "tier": 1,
                "repo": "org/svc-deep",
                "depends_on": [],
                "runbook": None,
                "aliases": [],
            },
            {
                "name": "svc-other",
                "team": "team-beta",
                "tier": 2,
                "repo": "org/svc-other",
                "depends_on": [],
                "runbook": None,
                "aliases": [],
            },
        ],
    }


def run(**overrides) -> RunFacts:
    values = dict(
        run_id="r-1",
        service="svc-front",
        service_hint="front",
        trigger_source="generic",
        title="svc-front alert",
        triggered_at=NOW,
        now=NOW,
    )
    values.update(overrides)
    return RunFacts(**values)


class Evidence:
    """Accumulates evidence items with ids E1, E2, ..."""

    def __init__(self) -> None:
        self.items: list[EvidenceItem] = []

    def add(
        self,
        source: str,
        ref: str,
        data: dict,
        *,
        service: str | None = None,
        when: datetime | None = None,
        redactions: tuple[str, ...] = (),
    ) -> str:
        item_id = f"E{len(self.items) + 1}"
        self.items.append(
            EvidenceItem(
                id=item_id,
                source=source,
                ref=ref,
                service=service or data.get("service"),
                data=data,
                observed_at=when,
                redactions=redactions,
            )
        )
        return item_id

    def metric(
        self,
        service: str,
        name: str,
        base: float,
        after: float | None = None,
        *,
        onset: datetime = ONSET,
        noise: float = 0.05,
        seed: int = 1,
        minutes: int = 90,
        source: str = "prometheus",
    ) -> str:
        rng = np.random.default_rng(seed)
        points = []
        for i in range(minutes + 1):
            t = NOW - timedelta(minutes=minutes - i)
            level = after if after is not None and t >= onset else base
            points.append([iso_z(t), float(level * (1 + rng.normal(0, noise)))])
        return self.add(
            "metrics",
            f"{service}:{name}",
            {"service": service, "name": name, "source": source, "step_seconds": 60, "points": points},
        )

    def deploy(
        self,
        dep_id: str,
        service: str,
        finished: datetime,
        pr: int | None = None,
        status: str = "success",
        sha: str = "a" * 40,
        previous_sha: str = "b" * 40,
    ) -> str:
        return self.add(
            "deploys",
            dep_id,
            {
                "id": dep_id,
                "service": service,
                "environment": "production",
                "sha": sha,
                "previous_sha": previous_sha,
                "started_at": iso_z(finished - timedelta(minutes=4)),
                "finished_at": iso_z(finished),
                "status": status,
                "author": "someone",
                "pull_request": pr,
                "description": f"Deploy {service}",
            },
            when=finished,
        )

    def pull_request(
        self,
        number: int,
        repo: str,
        files: list[tuple[str, str]],
        title: str = "A change",
        owners: dict[str, list[str]] | None = None,
    ) -> str:
        return self.add(
            "pull_requests",
            str(number),
            {
                "number": number,
                "repo": repo,
                "title": title,
                "author": "someone",
                "merged_at": iso_z(NOW - timedelta(hours=1)),
                "labels": [],
                "files": _files(files, owners),
            },
        )

    def compare(
        self,
        previous_sha: str,
        sha: str,
        repo: str,
        files: list[tuple[str, str]],
        deploy: str | None = None,
        title: str = "A direct push",
        owners: dict[str, list[str]] | None = None,
    ) -> str:
        """What a deploy without a pull request shipped: the compare of its previous sha with its sha."""
        data = {
            "number": None,
            "repo": repo,
            "title": title,
            "author": "someone",
            "merged_at": iso_z(NOW - timedelta(hours=1)),
            "labels": [],
            "files": _files(files, owners),
            "compare": f"{previous_sha}...{sha}",
        }
        if deploy is not None:
            data["deploy"] = deploy
        return self.add("pull_requests", f"compare:{previous_sha}...{sha}", data)

    def error(
        self,
        err_id: str,
        service: str,
        title: str,
        first_seen: datetime,
        frames: list[tuple[str, str]],
        count: int = 500,
        message: str | None = None,
        redactions: tuple[str, ...] = (),
    ) -> str:
        return self.add(
            "errors",
            err_id,
            {
                "id": err_id,
                "service": service,
                "title": title,
                "culprit": "",
                "first_seen": iso_z(first_seen),
                "last_seen": iso_z(NOW),
                "count": count,
                "users": 0,
                "release": "x",
                "frames": [{"filename": f, "function": fn, "lineno": 1} for f, fn in frames],
                "sample": {"message": message or title, "context": {}},
            },
            redactions=redactions,
        )

    def log(
        self, service: str, level: str, message: str, when: datetime, redactions: tuple[str, ...] = ()
    ) -> str:
        return self.add(
            "logs",
            f"{service}@{iso_z(when)}",
            {"ts": iso_z(when), "service": service, "level": level, "message": message, "attributes": {}},
            when=when,
            redactions=redactions,
        )

    def flag(self, key: str, service: str, changed: datetime, environment: str = "production") -> str:
        return self.add(
            "feature_flags",
            f"{key}@{iso_z(changed)}",
            {
                "key": key,
                "service": service,
                "environment": environment,
                "changed_at": iso_z(changed),
                "actor": "someone",
                "from": False,
                "to": True,
            },
        )

    def monitor(self, name: str, service: str, metric: str, status: str, changed: datetime) -> str:
        return self.add(
            "monitors",
            name,
            {
                "name": name,
                "service": service,
                "source": "datadog",
                "status": status,
                "metric": metric,
                "last_changed": iso_z(changed),
            },
        )

    def runbook(self, key: str, text: str) -> str:
        return self.add("runbooks", key, {"key": key, "text": text})

    def calendar(self, uid: str, kind: str, start: datetime, end: datetime, services: list[str]) -> str:
        return self.add(
            "change_calendar",
            uid,
            {
                "uid": uid,
                "title": f"{kind} window",
                "start": iso_z(start),
                "end": iso_z(end),
                "services": services,
                "kind": kind,
            },
        )


def _files(files: list[tuple[str, str]], owners: dict[str, list[str]] | None) -> list[dict]:
    out = []
    for path, patch in files:
        entry = {"path": path, "additions": 3, "deletions": 1, "patch": patch}
        if owners is not None:
            entry["owners"] = owners.get(path, [])
        out.append(entry)
    return out
