"""Production deployments of the scope's repos in the window, with their outcome and pull request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from collectors.base import Fetched, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as iso
from collectors.timefmt import parse_iso as parse_time
from collectors.timefmt import utc as _utc
from collectors.vendors.github.reader import ENVIRONMENT, SHAPE_ERRORS, GitHubReader
from incidentdesk.http import Deadline, HttpError

_FAILED = {"failure", "error"}


class GitHubDeploys(GitHubReader):
    """Production deployments of the scope's repos in the window, with their outcome and PR."""

    source = "deploys"

    def __init__(self, *, token: str, max_records: int = 200, **kwargs: Any) -> None:
        super().__init__(token=token, max_records=max_records, **kwargs)

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        start, end = _utc(scope.start), _utc(scope.end)
        records: list[Record] = []
        cut: list[str] = []
        with self._client() as client:

            def read(repo: str, ref: ServiceRef) -> None:
                room = self.max_records - len(records)
                if room <= 0:
                    cut.append(repo)
                    return
                found, truncated = self.deployments(client, repo, ref, start, end, room, deadline)
                if truncated:
                    cut.append(repo)
                records.extend(found)

            notes = self._each_repo(scope, read)
        if cut:
            kept = f"kept the latest {self.max_records} deployments"
            notes.insert(0, f"{kept}; older ones cut in {', '.join(cut)}")
        return Fetched(records=records, truncated=bool(cut), note="; ".join(notes))

    def deployments(
        self,
        client: httpx.Client,
        repo: str,
        ref: ServiceRef,
        start: datetime,
        end: datetime,
        room: int,
        deadline: Deadline,
    ) -> tuple[list[Record], bool]:
        """One repo's deploy records in the window, oldest first, at most `room`; and whether more were cut."""
        chain, truncated = self._chain(client, repo, start, end, room, deadline)
        return self._records(client, repo, ref, chain, deadline), truncated

    def _chain(
        self, client: httpx.Client, repo: str, start: datetime, end: datetime, room: int, deadline: Deadline
    ) -> tuple[list[tuple[dict, bool]], bool]:
        """Deployments oldest first as (deployment, in_window); the first may be the one before the window."""
        newest_first: list[tuple[dict, bool]] = []
        kept = 0
        truncated = False
        params = {"environment": ENVIRONMENT, "per_page": 100}
        try:
            for page in self._pages(client, f"/repos/{repo}/deployments", params, deadline):
                done = False
                for item in page:
                    created = parse_time(item["created_at"])
                    if created > end:
                        continue
                    if created < start or kept >= room:
                        # One older deployment is kept only to know the previous sha.
                        newest_first.append((item, False))
                        truncated = created >= start
                        done = True
                        break
                    newest_first.append((item, True))
                    kept += 1
                if done:
                    break
        except SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} deployments: {exc!r}") from exc
        newest_first.sort(key=lambda pair: (parse_time(pair[0]["created_at"]), pair[0]["id"]), reverse=True)
        return list(reversed(newest_first)), truncated

    def _records(
        self,
        client: httpx.Client,
        repo: str,
        ref: ServiceRef,
        chain: list[tuple[dict, bool]],
        deadline: Deadline,
    ) -> list[Record]:
        outcomes: dict[int, tuple[str, dict | None, str | None]] = {}
        records = []
        try:
            for deployment, in_window in chain:
                if in_window:
                    statuses, _ = self._get(
                        client,
                        f"/repos/{repo}/deployments/{deployment['id']}/statuses",
                        deadline,
                        {"per_page": 100},
                    )
                    if not isinstance(statuses, list):
                        raise SourceError("malformed", f"{repo} deployment statuses: expected a JSON list")
                    outcomes[deployment["id"]] = _outcome(statuses)
            for index, (deployment, in_window) in enumerate(chain):
                if not in_window:
                    continue
                previous_sha = chain[index - 1][0]["sha"] if index > 0 else None
                status, decisive, url = outcomes[deployment["id"]]
                following = chain[index + 1][0] if index + 1 < len(chain) else None
                if (
                    status == "success"
                    and following is not None
                    and previous_sha
                    and following["sha"] == previous_sha != deployment["sha"]
                    and outcomes.get(following["id"], ("",))[0] == "success"
                ):
                    status = "rolled_back"
                started = parse_time(deployment["created_at"])
                creator = deployment.get("creator") or {}
                records.append(
                    Record(
                        ref=str(deployment["id"]),
                        service=ref.name,
                        data={
                            "id": str(deployment["id"]),
                            "service": ref.name,
                            "environment": deployment["environment"],
                            "sha": deployment["sha"],
                            "previous_sha": previous_sha,
                            "started_at": iso(started),
                            "finished_at": iso(parse_time(decisive["created_at"])) if decisive else None,
                            "status": status,
                            "author": creator.get("login"),
                            "pull_request": self._pull_request(client, repo, deployment["sha"], deadline),
                            "description": deployment.get("description") or "",
                        },
                        observed_at=started,
                        url=url,
                    )
                )
        except SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} deployments: {exc!r}") from exc
        return records

    def _pull_request(self, client: httpx.Client, repo: str, sha: str, deadline: Deadline) -> int | None:
        try:
            pulls, _ = self._get(client, f"/repos/{repo}/commits/{sha}/pulls", deadline)
        except HttpError as exc:
            # A sha GitHub no longer has (force-pushed away) answers 404 or 422: no PR, not a failure.
            if gone(exc):
                return None
            raise
        if not isinstance(pulls, list):
            raise SourceError("malformed", f"{repo} commit pulls: expected a JSON list")
        return next((int(p["number"]) for p in pulls if p.get("merged_at")), None)


def gone(exc: HttpError) -> bool:
    """GitHub no longer has the commit (force-pushed away, or unrelated histories): 404 or 422."""
    return exc.reason == "not_found" or exc.detail.startswith("HTTP 422")


def _outcome(statuses: list[dict]) -> tuple[str, dict | None, str | None]:
    """(status, the status that decided it or None, a link to the deployment's log)."""
    ordered = sorted(statuses, key=lambda s: (parse_time(s["created_at"]), s["id"]))
    links = (s.get("target_url") or s.get("log_url") for s in reversed(ordered))
    url = next((link for link in links if link), None)
    decisive = [s for s in ordered if s["state"] != "inactive"]
    if not decisive:
        # GitHub marks only successful deployments inactive once a newer one succeeds.
        return ("success" if ordered else "in_progress"), None, url
    latest = decisive[-1]
    state = latest["state"]
    if state == "success":
        return "success", latest, url
    if state in _FAILED:
        return "failure", latest, url
    return "in_progress", None, url
