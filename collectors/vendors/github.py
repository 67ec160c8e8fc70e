"""GitHub REST reads: production deployments and the pull requests merged in the window."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, ServiceRef, SourceError
from collectors.http import MAX_BODY_BYTES, Deadline, json_body, make_client, next_link, request
from collectors.timefmt import iso_z as iso
from collectors.timefmt import parse_iso as parse_time
from collectors.timefmt import utc as _utc

DEFAULT_API_URL = "https://api.github.com"
ENVIRONMENT = "production"
MAX_PAGES = 50
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)

_IN_PROGRESS = {"queued", "pending", "in_progress"}
_FAILED = {"failure", "error"}








class _GitHubReader:
    vendor = "github"

    def __init__(
        self,
        *,
        token: str,
        api_url: str = DEFAULT_API_URL,
        max_records: int,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.max_records = max_records
        self.transport = transport
        self.sleep = sleep
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **kwargs: Any):
        token = environ.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise NotConfigured("GITHUB_TOKEN is not set")
        return cls(token=token, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL, **kwargs)

    def _client(self) -> httpx.Client:
        return make_client(
            base_url=self.api_url,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            transport=self.transport,
        )

    def _get(
        self, client: httpx.Client, url: str, deadline: Deadline, params: dict | None = None
    ) -> tuple[Any, httpx.Response]:
        response = request(
            client, "GET", url, deadline=deadline, params=params, sleep=self.sleep, max_bytes=self.max_bytes
        )
        return json_body(response), response

    def _pages(
        self, client: httpx.Client, path: str, params: dict, deadline: Deadline
    ) -> Iterator[list[dict]]:
        """Each page of a list endpoint, following Link rel="next" on the API host only."""
        url: str | None = path
        query: dict | None = params
        for _ in range(MAX_PAGES):
            body, response = self._get(client, url, deadline, query)
            if not isinstance(body, list):
                raise SourceError("malformed", f"{path}: expected a JSON list")
            yield body
            url, query = next_link(response), None
            if url is None:
                return
            # The token must never travel to a host the Link header names.
            if httpx.URL(url).host != client.base_url.host:
                raise SourceError("malformed", f"{path}: next page link leaves the API host")

    @staticmethod
    def _repos(scope: Scope) -> tuple[list[tuple[str, ServiceRef]], list[str]]:
        """Distinct repos of the scope's services, each with the first service that names it."""
        seen: dict[str, ServiceRef] = {}
        notes: list[str] = []
        for ref in scope.services:
            if not ref.repo:
                continue
            if not _REPO.match(ref.repo):
                notes.append(f"{ref.name}: repo {ref.repo!r} is not owner/name")
                continue
            seen.setdefault(ref.repo, ref)
        return list(seen.items()), notes

    def _each_repo(self, scope: Scope, read: Callable[[str, ServiceRef], None]) -> list[str]:
        """Run `read` per repo; a repo GitHub does not know is a note, unless none is known."""
        repos, notes = self._repos(scope)
        missing = 0
        for repo, ref in repos:
            try:
                read(repo, ref)
            except SourceError as exc:
                if exc.reason != "not_found":
                    raise
                missing += 1
                notes.append(f"{repo}: not found or not visible to the token")
        if repos and missing == len(repos):
            raise SourceError("not_found", "; ".join(notes))
        return notes


class GitHubDeploys(_GitHubReader):
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
                chain, truncated = self._chain(client, repo, start, end, room, deadline)
                if truncated:
                    cut.append(repo)
                records.extend(self._records(client, repo, ref, chain, deadline))

            notes = self._each_repo(scope, read)
        if cut:
            kept = f"kept the latest {self.max_records} deployments"
            notes.insert(0, f"{kept}; older ones cut in {', '.join(cut)}")
        return Fetched(records=records, truncated=bool(cut), note="; ".join(notes))

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
        except _SHAPE_ERRORS as exc:
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
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} deployments: {exc!r}") from exc
        return records

    def _pull_request(self, client: httpx.Client, repo: str, sha: str, deadline: Deadline) -> int | None:
        try:
            pulls, _ = self._get(client, f"/repos/{repo}/commits/{sha}/pulls", deadline)
        except SourceError as exc:
            # A sha GitHub no longer has (force-pushed away) answers 404 or 422: no PR, not a failure.
            if exc.reason == "not_found" or exc.detail.startswith("HTTP 422"):
                return None
            raise
        if not isinstance(pulls, list):
            raise SourceError("malformed", f"{repo} commit pulls: expected a JSON list")
        return next((int(p["number"]) for p in pulls if p.get("merged_at")), None)


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


class GitHubPullRequests(_GitHubReader):
    """Pull requests merged in the window in the scope's repos, with their files and patches."""

    source = "pull_requests"

    def __init__(
        self,
        *,
        token: str,
        max_records: int = 50,
        max_files: int = 300,
        max_patch_bytes: int = 20 * 1024,
        **kwargs: Any,
    ) -> None:
        super().__init__(token=token, max_records=max_records, **kwargs)
        self.max_files = max_files
        self.max_patch_bytes = max_patch_bytes

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        start, end = _utc(scope.start), _utc(scope.end)
        records: list[Record] = []
        cuts: list[str] = []
        with self._client() as client:

            def read(repo: str, ref: ServiceRef) -> None:
                for pr in self._merged(client, repo, start, end, deadline, cuts, len(records)):
                    records.append(self._record(client, repo, ref, pr, deadline, cuts))

            notes = self._each_repo(scope, read)
        return Fetched(records=records, truncated=bool(cuts), note="; ".join(cuts + notes))

    def _merged(
        self,
        client: httpx.Client,
        repo: str,
        start: datetime,
        end: datetime,
        deadline: Deadline,
        cuts: list[str],
        already: int,
    ) -> list[dict]:
        merged: list[dict] = []
        params = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": 50}
        try:
            for page in self._pages(client, f"/repos/{repo}/pulls", params, deadline):
                for pr in page:
                    # Sorted by update time: a PR merged in the window was updated after its start.
                    if parse_time(pr["updated_at"]) < start:
                        return merged
                    if not pr.get("merged_at") or not start <= parse_time(pr["merged_at"]) <= end:
                        continue
                    if already + len(merged) >= self.max_records:
                        cuts.append(f"kept {self.max_records} merged pull requests; more in {repo} cut")
                        return merged
                    merged.append(pr)
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} pulls: {exc!r}") from exc
        return merged

    def _record(
        self, client: httpx.Client, repo: str, ref: ServiceRef, pr: dict, deadline: Deadline, cuts: list[str]
    ) -> Record:
        try:
            number = int(pr["number"])
            files: list[dict] = []
            pages = self._pages(client, f"/repos/{repo}/pulls/{number}/files", {"per_page": 100}, deadline)
            for item in (item for page in pages for item in page):
                if len(files) >= self.max_files:
                    cuts.append(f"{repo}#{number}: kept the first {self.max_files} files")
                    break
                files.append(self._file(item, f"{repo}#{number}", cuts))
            merged_at = parse_time(pr["merged_at"])
            return Record(
                ref=f"{repo}#{number}",
                service=ref.name,
                data={
                    "number": number,
                    "repo": repo,
                    "title": pr["title"],
                    "author": (pr.get("user") or {}).get("login"),
                    "merged_at": iso(merged_at),
                    "labels": [label["name"] for label in pr.get("labels") or []],
                    "files": files,
                },
                observed_at=merged_at,
                url=pr.get("html_url"),
            )
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} pull request: {exc!r}") from exc

    def _file(self, item: dict, where: str, cuts: list[str]) -> dict:
        patch = item.get("patch")  # absent for binary files and diffs GitHub will not render
        if patch is not None:
            raw = patch.encode("utf-8")
            if len(raw) > self.max_patch_bytes:
                head = raw[: self.max_patch_bytes].decode("utf-8", errors="ignore")
                patch = head[: head.rfind("\n")] if "\n" in head else head
                cuts.append(f"{where} {item['filename']}: patch cut to {self.max_patch_bytes} bytes")
        return {
            "path": item["filename"],
            "additions": int(item["additions"]),
            "deletions": int(item["deletions"]),
            "patch": patch,
        }
