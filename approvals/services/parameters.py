"""The exact parameters of a production action, from the packet's item, the catalog and the configuration.

An approval is for these parameters only: they are bound to the proposal when it is made and
shown to the approver as they will be sent. What cannot be filled in is named in `blocked`,
and a blocked proposal cannot be approved.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from incidentdesk import clock
from incidentdesk.models import Packet, Run, Service

NAMESPACE_KEYS = ("incidentdesk/namespace", "backstage.io/kubernetes-namespace")
DEPLOYMENT_KEYS = ("incidentdesk/deployment", "backstage.io/kubernetes-id")
REPLICAS_KEY = "incidentdesk/scale-out-replicas"
ARGOCD_APP_KEY = "argocd/app-name"
ARGOCD_APP_NAMESPACE_KEY = "argocd/app-namespace"
STATUSPAGE_COMPONENT_KEY = "statuspage.io/component-id"
STATUSPAGE_NAME_KEY = "statuspage.io/display-name"
# Values stamped when a proposal is made: they do not make two proposals different.
VOLATILE = frozenset({"restarted_at"})
# What a person may set when asking for an action themselves.
REQUESTABLE = {
    "rollback": ("target_sha",),
    "scale": ("replicas",),
    "status_update": ("name", "body"),
    "flag_toggle": (),
    "restart": (),
}
IMPACT = {"sev1": ("critical", "major_outage"), "sev2": ("major", "partial_outage")}


@dataclass(frozen=True)
class BoundAction:
    service: Service
    params: dict

    @property
    def blocked(self) -> str:
        return str(self.params.get("blocked") or "")


def params_hash(action: str, target: str, params: dict, item: dict) -> str:
    stable = {k: v for k, v in params.items() if k not in VOLATILE}
    canonical = json.dumps(
        {"action": action, "target": target, "params": stable, "item": item},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _annotation(service: Service, keys: tuple[str, ...]) -> str:
    annotations = service.annotations or {}
    return next((str(annotations[k]) for k in keys if annotations.get(k)), "")


def _service_named(name: str, fallback: Service) -> Service:
    return Service.objects.select_related("team").filter(name=name).first() or fallback if name else fallback


def _deploy(run: Run, target: str) -> dict:
    for evidence in run.evidence.filter(source="deploys"):
        data = evidence.data or {}
        if str(data.get("id") or "") == target or evidence.ref == target:
            return data
    return {}


def bind_action(
    *,
    run: Run,
    item: dict,
    packet: Packet | None,
    overrides: Mapping | None = None,
    environ: Mapping[str, str] | None = None,
) -> BoundAction:
    """The service an action changes and its parameters. Reads the catalog and run evidence only."""
    environ = os.environ if environ is None else environ
    action, target = str(item.get("action")), str(item.get("target") or "")
    overrides = {
        k: v for k, v in (overrides or {}).items() if k in REQUESTABLE.get(action, ()) and v not in ("", None)
    }
    base = run.service
    if action == "rollback":
        deploy = _deploy(run, target)
        service = _service_named(str(deploy.get("service") or ""), base)
        params = _rollback(service, target, deploy, environ)
    elif action in ("scale", "restart"):
        service = _service_named(target, base)
        params = _workload(service, action)
    elif action == "flag_toggle":
        service = base
        params = {
            "method": "launchdarkly",
            "flag_key": target,
            "project": environ.get("LAUNCHDARKLY_PROJECT") or "default",
            "environment": environ.get("LAUNCHDARKLY_ENVIRONMENT") or "production",
            "on": False,
        }
    elif action == "status_update":
        service = _service_named(target, base)
        severity = (packet.data.get("severity") if packet else None) or run.severity
        params = _status(service, severity)
    else:
        service, params = base, {"blocked": f"the desk has no executor for {action}"}
    params.update(overrides)
    if action == "scale" and "replicas" in overrides:
        try:
            params["replicas"] = int(overrides["replicas"])
        except (TypeError, ValueError):
            params["blocked"] = "the replica count is not a number"
        else:
            if params.get("blocked", "").startswith("no replica count"):
                params.pop("blocked")
    if (
        action == "rollback"
        and "target_sha" in overrides
        and params.get("blocked", "").startswith("no commit")
    ):
        params.pop("blocked")
    return BoundAction(service=service, params=params)


def _rollback(service: Service, target: str, deploy: dict, environ: Mapping[str, str]) -> dict:
    common = {
        "deploy": target,
        "service": service.name,
        "environment": str(deploy.get("environment") or environ.get("ROLLBACK_ENVIRONMENT") or "production"),
        "target_sha": str(deploy.get("previous_sha") or ""),
        "from_sha": str(deploy.get("sha") or ""),
    }
    app = _annotation(service, (ARGOCD_APP_KEY,))
    if app or environ.get("ARGOCD_URL"):
        params = {
            "method": "argocd",
            "app": app or service.name,
            "app_namespace": _annotation(service, (ARGOCD_APP_NAMESPACE_KEY,)),
            **common,
        }
    else:
        params = {
            "method": "github",
            "repo": service.repo,
            "workflow": environ.get("ROLLBACK_WORKFLOW") or "rollback.yml",
            "ref": environ.get("ROLLBACK_REF") or "main",
            **common,
        }
        if not service.repo:
            params["blocked"] = f"{service.name} has no repository in the catalog"
    if not common["target_sha"]:
        params["blocked"] = f"no commit to go back to: deploy {target}'s previous version is unknown"
    return params


def _workload(service: Service, action: str) -> dict:
    params: dict = {
        "namespace": _annotation(service, NAMESPACE_KEYS),
        "deployment": _annotation(service, DEPLOYMENT_KEYS) or service.name,
    }
    if action == "scale":
        raw = (service.annotations or {}).get(REPLICAS_KEY)
        try:
            params["replicas"] = int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            params["replicas"] = None
        if params["replicas"] is None:
            params["blocked"] = (
                f"no replica count: set {REPLICAS_KEY} on {service.name} or ask for a scale with a count"
            )
    else:
        params["restarted_at"] = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    if not params["namespace"]:
        params["blocked"] = f"no namespace: set {NAMESPACE_KEYS[0]} on {service.name}"
    return {"method": "kubernetes", **params}


def _status(service: Service, severity: str | None) -> dict:
    impact, component_status = IMPACT.get(severity or "", ("minor", "degraded_performance"))
    display = _annotation(service, (STATUSPAGE_NAME_KEY,)) or service.name
    return {
        "method": "statuspage",
        "name": f"Degraded service: {display}",
        "status": "investigating",
        "impact": impact,
        "body": f"We are investigating degraded service affecting {display}. "
        "We will post an update within 30 minutes.",
        "component_id": _annotation(service, (STATUSPAGE_COMPONENT_KEY,)),
        "component_status": component_status,
        "deliver_notifications": True,
    }


def method_of(params: dict) -> str:
    return str(params.get("method") or "")
