from incidentdesk.models.catalog import Service, ServiceAlias, Team
from incidentdesk.models.evidence import Evidence, Packet, SourceCollection
from incidentdesk.models.runs import Run, RunEvent, RunKey, Trigger

__all__ = [
    "Evidence",
    "Packet",
    "Run",
    "RunEvent",
    "RunKey",
    "Service",
    "ServiceAlias",
    "SourceCollection",
    "Team",
    "Trigger",
]
