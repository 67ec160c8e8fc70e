from incidentdesk.models.audit import AuditCheck, AuditEntry, AuditHead
from incidentdesk.models.catalog import Service, ServiceAlias, Team
from incidentdesk.models.confirmed_causes import ConfirmedCause
from incidentdesk.models.evidence import Evidence, Packet, SourceCollection
from incidentdesk.models.runs import Run, RunEvent, RunKey, Trigger

__all__ = [
    "AuditCheck",
    "AuditEntry",
    "AuditHead",
    "ConfirmedCause",
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
