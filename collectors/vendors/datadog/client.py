"""What the Datadog connectors share: configuration, the HTTP client, and how a cut fetch is noted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from collectors.base import NotConfigured, Record, SourceError
from incidentdesk.http import MAX_BODY_BYTES, make_client

_SITE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)+$")


@dataclass(frozen=True)
class DatadogConfig:
    api_key: str = field(repr=False)
    app_key: str = field(repr=False)
    site: str = "datadoghq.com"

    @property
    def api_url(self) -> str:
        return f"https://api.{self.site}"

    @property
    def app_url(self) -> str:
        # The web UI is app.<site> for two-label sites, the site itself otherwise (us3, us5, ap1).
        return f"https://app.{self.site}" if self.site.count(".") == 1 else f"https://{self.site}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DatadogConfig:
        for name in ("DD_API_KEY", "DD_APP_KEY"):
            if not environ.get(name):
                raise NotConfigured(f"{name} is not set")
        site = (environ.get("DD_SITE") or "datadoghq.com").strip().lower()
        if not _SITE.match(site):
            raise NotConfigured(f"DD_SITE {site!r} is not a Datadog site such as datadoghq.eu")
        return cls(api_key=environ["DD_API_KEY"], app_key=environ["DD_APP_KEY"], site=site)


class DatadogConnector:
    vendor = "datadog"

    def __init__(
        self,
        config: DatadogConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.config = config
        self.transport = transport
        self.max_bytes = max_bytes

    def _client(self) -> httpx.Client:
        return make_client(
            base_url=self.config.api_url,
            headers={"DD-API-KEY": self.config.api_key, "DD-APPLICATION-KEY": self.config.app_key},
            transport=self.transport,
        )


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def stopped_note(records: list[Record], failure: SourceError, where: str) -> str:
    """The note for a fetch cut short, or the failure itself when nothing was read."""
    if not records:
        raise failure
    return f"stopped at {where}: {failure}"


@dataclass
class Cut:
    """What the caps cut, gathered into one note."""

    parts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)

    @property
    def note(self) -> str:
        return "; ".join(self.parts)
