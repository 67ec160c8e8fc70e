"""The changes that reached production in the window: merged pull requests with their files, and,
for a deploy that shipped no pull request (a direct push, a hotfix, a revert), the compare of the
previous deployed sha with the new one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from collectors.base import Fetched, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as iso
from collectors.timefmt import parse_iso as parse_time
from collectors.timefmt import utc as _utc
from collectors.vendors.github.deploys import GitHubDeploys, gone
from collectors.vendors.github.owners import RepoOwners
from collectors.vendors.github.reader import SHAPE_ERRORS, GitHubReader
from incidentdesk.http import Deadline, HttpError

# GitHub lists at most this many files of a comparison, on its first page only.
COMPARE_MAX_FILES = 300


def short_span(previous_sha: str, sha: str) -> str:
    return f"{previous_sha[:7]}...{sha[:7]}"


class GitHubPullRequests(GitHubReader):
    """Changes shipped in the window in the scope's repos, with their files, patches and code owners."""

    source = "pull_requests"

    def __init__(
        self,
        *,
        token: str,
        max_records: int = 50,
        max_files: int = 300,
        max_patch_bytes: int = 20 * 1024,
        max_deploys: int = 200,
        **kwargs: Any,
    ) -> None:
        super().__init__(token=token, max_records=max_records, **kwargs)
        self.max_files = max_files
        self.max_patch_bytes = max_patch_bytes
        # Deploys without a pull request are found exactly as the deploys source finds them.
        self.deploys = GitHubDeploys(token=token, max_records=max_deploys, **kwargs)

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        start, end = _utc(scope.start), _utc(scope.end)
        records: list[Record] = []
        cuts: list[str] = []
        notes: list[str] = []
        with self._client() as client:

            def read(repo: str, ref: ServiceRef) -> None:
                owners = RepoOwners(self, client, repo, deadline, notes)
                for pr in self._merged(client, repo, start, end, deadline, cuts, len(records)):
                    records.append(self._record(client, repo, ref, pr, deadline, cuts, owners))
                self._compares(client, repo, ref, start, end, deadline, records, cuts, notes, owners)

            notes.extend(self._each_repo(scope, read))
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
        except SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} pulls: {exc!r}") from exc
        return merged

    def _record(
        self,
        client: httpx.Client,
        repo: str,
        ref: ServiceRef,
        pr: dict,
        deadline: Deadline,
        cuts: list[str],
        owners: RepoOwners,
    ) -> Record:
        try:
            number = int(pr["number"])
            files: list[dict] = []
            pages = self._pages(client, f"/repos/{repo}/pulls/{number}/files", {"per_page": 100}, deadline)
            for item in (item for page in pages for item in page):
                if len(files) >= self.max_files:
                    cuts.append(f"{repo}#{number}: kept the first {self.max_files} files")
                    break
                files.append(self._file(item, f"{repo}#{number}", cuts, owners))
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
        except SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} pull request: {exc!r}") from exc

    def _compares(
        self,
        client: httpx.Client,
        repo: str,
        ref: ServiceRef,
        start: datetime,
        end: datetime,
        deadline: Deadline,
        records: list[Record],
        cuts: list[str],
        notes: list[str],
        owners: RepoOwners,
    ) -> None:
        """A compare record per deploy in the window that shipped no pull request."""
        try:
            deploys, more = self.deploys.deployments(
                client, repo, ref, start, end, self.deploys.max_records, deadline
            )
        except HttpError as exc:
            # The deploys source reports its own gap; the pull requests already read still stand.
            cuts.append(f"{repo}: deployments not read ({exc}); direct pushes not compared")
            return
        if more:
            cuts.append(f"{repo}: more than {self.deploys.max_records} deployments; older ones not compared")
        for deploy in deploys:
            d = deploy.data
            if d["pull_request"] is not None or d["sha"] == d["previous_sha"]:
                continue
            if not d["previous_sha"]:
                notes.append(f"{repo} deploy {d['id']}: no earlier deployment to compare with")
                continue
            if len(records) >= self.max_records:
                cuts.append(f"kept {self.max_records} changes; compares of {repo} cut")
                return
            try:
                record = self._compare(client, repo, ref, deploy, deadline, cuts, notes, owners)
            except HttpError as exc:
                if gone(exc):
                    span = short_span(d["previous_sha"], d["sha"])
                    notes.append(f"{repo} deploy {d['id']}: cannot compare {span}, GitHub no longer has it")
                    continue
                cuts.append(f"{repo}: compares stopped at deploy {d['id']} ({exc})")
                return
            if record is not None:
                records.append(record)

    def _compare(
        self,
        client: httpx.Client,
        repo: str,
        ref: ServiceRef,
        deploy: Record,
        deadline: Deadline,
        cuts: list[str],
        notes: list[str],
        owners: RepoOwners,
    ) -> Record | None:
        d = deploy.data
        span = f"{d['previous_sha']}...{d['sha']}"
        short = short_span(d["previous_sha"], d["sha"])
        where = f"{repo} {short}"
        body, _ = self._get(client, f"/repos/{repo}/compare/{span}", deadline)
        try:
            status = body["status"]
            if status == "identical":
                return None
            if status == "behind":
                # A three-dot compare of an older sha lists nothing: the deploy went back, it shipped nothing new.
                notes.append(f"{where}: deploy {d['id']} went back to an older sha")
                return None
            if status == "diverged":
                notes.append(f"{where}: histories diverged; files are the changes since their merge base")
            commits = body.get("commits") or []
            listed = body.get("files") or []
            if len(listed) >= COMPARE_MAX_FILES:
                cuts.append(f"{where}: GitHub lists at most {COMPARE_MAX_FILES} files of a comparison")
            files: list[dict] = []
            for item in listed:
                if len(files) >= self.max_files:
                    cuts.append(f"{where}: kept the first {self.max_files} files")
                    break
                files.append(self._file(item, where, cuts, owners))
            message = str((commits[0].get("commit") or {}).get("message") or "") if commits else ""
            newest = (commits[-1].get("author") or {}) if commits else {}
            return Record(
                ref=f"compare:{span}",
                service=ref.name,
                data={
                    "number": None,
                    "repo": repo,
                    "title": message.strip().splitlines()[0] if message.strip() else f"Changes {short}",
                    "author": newest.get("login") or d.get("author"),
                    "merged_at": d["started_at"],
                    "labels": [],
                    "files": files,
                    "compare": span,
                    "deploy": d["id"],
                },
                observed_at=deploy.observed_at,
                url=body.get("html_url"),
            )
        except SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"{repo} compare {short}: {exc!r}") from exc

    def _file(self, item: dict, where: str, cuts: list[str], owners: RepoOwners) -> dict:
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
            "owners": owners(item["filename"]),
        }
