"""The vendors' recorded answers under fixtures/, and the scopes the tests ask them about."""

import json
from datetime import datetime
from pathlib import Path

from collectors.base import Scope, ServiceRef

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def scope_of(*services: ServiceRef | str, start: datetime, end: datetime) -> Scope:
    """A run's scope: the first service is the run's own; plain names become bare ServiceRefs."""
    refs = tuple(ServiceRef(name=s) if isinstance(s, str) else s for s in services)
    return Scope(run_id=1, service=refs[0].name, services=refs, start=start, end=end)
