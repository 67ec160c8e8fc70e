"""A collectors backend for the fan-out benchmark: each source is an HTTP endpoint on 127.0.0.1
that answers after its own delay, read through the same client and retry code as the vendors."""

import os

from collectors.base import Fetched, Record, Scope
from incidentdesk.http import json_body, make_client, request


class DelayedSource:
    vendor = "bench"

    def __init__(self, source: str, base_url: str) -> None:
        self.source = source
        self.base_url = base_url

    def fetch(self, scope: Scope, *, deadline) -> Fetched:
        with make_client(base_url=self.base_url) as client:
            answer = json_body(request(client, "GET", f"/{self.source}", deadline=deadline))
        return Fetched([Record(ref=f"{self.source}-1", service=scope.service,
                               data={"service": scope.service, "answered_after": answer["delay"]})])


def factory(source: str) -> list[DelayedSource]:
    return [DelayedSource(source, os.environ["BENCH_SOURCES_URL"])]
