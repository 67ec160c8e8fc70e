"""Which URLs from the catalog the desk may fetch: hosts on an allow-list, never an inside address.

A catalog entry is data anyone with catalog access can write; fetching its URL as the desk
would reach whatever the desk's network reaches (metadata endpoints, admin ports on
loopback). So a URL is fetched only when its host is on the allow-list and every address
the host resolves to is a public one. Redirects are not followed (incidentdesk.http).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

from collectors.base import SourceError

Resolver = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class UrlGuard:
    def __init__(self, hosts: Iterable[str], *, resolve: Resolver = _resolve, setting: str = "RUNBOOK_HOSTS"):
        """`hosts`: exact names, or `.example.com` for that domain's subdomains."""
        self.hosts = tuple(h.strip().lower() for h in hosts if h.strip())
        self.resolve = resolve
        self.setting = setting

    @classmethod
    def from_env(cls, setting: str, environ: Mapping[str, str] = os.environ) -> UrlGuard:
        return cls((environ.get(setting) or "").split(","), setting=setting)

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.hosts)

    def check(self, url: str) -> None:
        """Raises SourceError saying why the URL may not be fetched; returns when it may."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise SourceError("error", f"refused: {url} is not an http(s) URL")
        if not self.allows_host(host):
            raise SourceError("error", f"refused: {host} is not in {self.setting}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [host] if _is_ip(host) else self.resolve(host, port)
        except OSError as exc:
            raise SourceError("error", f"cannot resolve {host}: {exc}") from exc
        inside = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global]
        if inside or not addresses:
            raise SourceError("error", f"refused: {host} resolves to an inside address ({', '.join(inside)})")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
