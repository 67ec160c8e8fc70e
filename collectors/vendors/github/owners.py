"""A repository's CODEOWNERS, read at most once per fetch and only when a change needs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from collectors.vendors.ownership import codeowners_lookup
from incidentdesk.http import Deadline, HttpError

if TYPE_CHECKING:
    from collectors.vendors.github.reader import GitHubReader

# Where GitHub looks, in the order it looks.
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
RAW = "application/vnd.github.raw+json"


def _unowned(path: str) -> list[str]:
    return []


class RepoOwners:
    """Owners of a path in one repo; a repo without CODEOWNERS owns nothing, which is not an error."""

    def __init__(
        self, reader: GitHubReader, client: httpx.Client, repo: str, deadline: Deadline, notes: list[str]
    ) -> None:
        self.reader = reader
        self.client = client
        self.repo = repo
        self.deadline = deadline
        self.notes = notes
        self._lookup: Callable[[str], list[str]] | None = None

    def __call__(self, path: str) -> list[str]:
        if self._lookup is None:
            self._lookup = self._read()
        # An email owner could only reach the packet redacted; handles are what a responder can page.
        return [owner for owner in self._lookup(path) if owner.startswith("@")]

    def _read(self) -> Callable[[str], list[str]]:
        for path in CODEOWNERS_PATHS:
            try:
                response = self.reader._send(
                    self.client, f"/repos/{self.repo}/contents/{path}", self.deadline, headers={"Accept": RAW}
                )
            except HttpError as exc:
                if exc.reason == "not_found":
                    continue
                # Owners only enrich the changes: without them the changes still stand.
                self.notes.append(f"{self.repo}: CODEOWNERS not read ({exc}); files carry no owners")
                return _unowned
            return codeowners_lookup(response.content.decode("utf-8", errors="replace"))
        return _unowned
