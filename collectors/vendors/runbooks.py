"""Runbooks of the run's services: markdown files under RUNBOOKS_DIR, or http(s) URLs on a host
that RUNBOOK_HOSTS allows and that resolves to public addresses only (collectors.urlguard).

A service with no runbook gets no record, and neither does one whose runbook is
missing or refused: the note names it, so the analysis can report the gap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, ServiceRef, SourceError
from collectors.urlguard import UrlGuard
from incidentdesk.http import Deadline, HttpError, make_client, request

MAX_RUNBOOK_BYTES = 256 * 1024
TEXT_TYPES = ("text/markdown", "text/x-markdown", "text/plain")


class Runbooks:
    source = "runbooks"
    vendor = "files"

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        max_bytes: int = MAX_RUNBOOK_BYTES,
        transport: httpx.BaseTransport | None = None,
        url_guard: UrlGuard | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.max_bytes = max_bytes
        self.transport = transport
        self.url_guard = url_guard or UrlGuard.from_env("RUNBOOK_HOSTS")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Runbooks:
        """RUNBOOKS_DIR is optional: without it only runbooks given as URLs can be read."""
        directory = (environ.get("RUNBOOKS_DIR") or "").strip()
        if directory and not Path(directory).is_dir():
            raise NotConfigured(f"RUNBOOKS_DIR {directory} is not a directory")
        return cls(directory or None, url_guard=UrlGuard.from_env("RUNBOOK_HOSTS", environ))

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        wanted = [ref for ref in scope.services if ref.runbook]
        records: list[Record] = []
        problems: list[str] = []
        failures: list[SourceError] = []
        cut: list[str] = []
        with make_client(headers={"Accept": ", ".join(TEXT_TYPES)}, transport=self.transport) as client:
            for ref in wanted:
                key = ref.runbook or ""
                try:
                    if key.startswith(("http://", "https://")):
                        text, truncated = self._fetch_url(client, key, deadline)
                    else:
                        text, truncated = self._read_file(key)
                except HttpError as failure:
                    failures.append(failure)
                    problems.append(f"runbook {key} of {ref.name}: {failure}")
                    continue
                if truncated:
                    cut.append(f"runbook {key} of {ref.name} cut at {self.max_bytes} bytes")
                records.append(_record(ref, key, text))
        if not records and failures and all(f.reason == "not_configured" for f in failures):
            raise NotConfigured("RUNBOOKS_DIR is not set")
        if not records and any(f.reason not in ("not_found", "not_configured") for f in failures):
            # Nothing was read and the cause is the source itself, not a missing file: a gap with its reason.
            raise next(f for f in failures if f.reason not in ("not_found", "not_configured"))
        return Fetched(records, truncated=bool(cut), note="; ".join(problems + cut))

    def _read_file(self, key: str) -> tuple[str, bool]:
        if self.directory is None:
            raise NotConfigured("RUNBOOKS_DIR is not set")
        relative = PurePosixPath(key)
        if relative.is_absolute() or Path(key).is_absolute() or ".." in relative.parts or not relative.parts:
            raise SourceError("not_found", "refused: the path leaves RUNBOOKS_DIR")
        root = self.directory.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise SourceError("not_found", "refused: the path leads out of RUNBOOKS_DIR")
        try:
            with path.open("rb") as handle:
                raw = handle.read(self.max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise SourceError("not_found", "no such file") from exc
        except OSError as exc:
            raise SourceError("error", f"cannot read it: {exc.strerror}") from exc
        return _decode(raw, self.max_bytes)

    def _fetch_url(self, client: httpx.Client, url: str, deadline: Deadline) -> tuple[str, bool]:
        self.url_guard.check(url)
        # A page somewhat over the cap is cut here; one far over it is refused by request().
        response = request(client, "GET", url, deadline=deadline, max_bytes=self.max_bytes * 4)
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind not in TEXT_TYPES:
            raise SourceError("malformed", f"answered {kind}, not markdown or plain text")
        return _decode(response.content, self.max_bytes)


def _decode(raw: bytes, max_bytes: int) -> tuple[str, bool]:
    truncated = len(raw) > max_bytes
    return raw[:max_bytes].decode("utf-8", errors="replace"), truncated


def _record(ref: ServiceRef, key: str, text: str) -> Record:
    return Record(
        ref=key,
        service=ref.name,
        data={"key": key, "text": text},
        url=key if key.startswith(("http://", "https://")) else None,
    )
