"""What every GitHub reader shares: the client, paging on the API host only, and the scope's repos."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from collectors.base import NotConfigured, Scope, ServiceRef, SourceError
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, link_pages, make_client, request

DEFAULT_API_URL = "https://api.github.com"
ENVIRONMENT = "production"
MAX_PAGES = 50
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class GitHubReader:
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

    def _send(
        self, client: httpx.Client, url: str, deadline: Deadline, params: dict | None = None, **kwargs: Any
    ) -> httpx.Response:
        return request(
            client,
            "GET",
            url,
            deadline=deadline,
            params=params,
            sleep=self.sleep,
            max_bytes=self.max_bytes,
            **kwargs,
        )

    def _get(
        self, client: httpx.Client, url: str, deadline: Deadline, params: dict | None = None
    ) -> tuple[Any, httpx.Response]:
        response = self._send(client, url, deadline, params)
        return json_body(response), response

    def _pages(self, client: httpx.Client, path: str, params: dict, deadline: Deadline) -> Iterator[list]:
        return link_pages(client, path, params, deadline=deadline, max_pages=MAX_PAGES, sleep=self.sleep,
                          max_bytes=self.max_bytes)

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
            except HttpError as exc:
                if exc.reason != "not_found":
                    raise
                missing += 1
                notes.append(f"{repo}: not found or not visible to the token")
        if repos and missing == len(repos):
            raise SourceError("not_found", "; ".join(notes))
        return notes
