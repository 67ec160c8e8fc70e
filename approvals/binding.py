"""How each action's exact parameters are filled in, from the packet's item, the catalog and the
configuration (approvals.actions says which binder serves which action).

An approval is for these parameters only: they are bound to the proposal when it is made and
shown to the approver as they will be sent. What cannot be filled in is named in `blocked`,
and a blocked proposal cannot be approved.
"""

from __future__ import annotations

import hashlib
import json
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


@dataclass(frozen=True)
class BindContext:
    """What a binder reads: the run, the packet's item, the packet, and the environment."""

    run: Run
    target: str
    packet: Packet | None
    environ: Mapping[str, str]

    @property
    def base(self) -> Service:
        return self.run.service


def bind_rollback(ctx: BindContext) -> tuple[Service, dict]:
    deploy = _deploy(ctx.run, ctx.target)
    service = _service_named(str(deploy.get("service") or ""), ctx.base)
    return service, _rollback(service, ctx.target, deploy, ctx.environ)


def bind_scale(ctx: BindContext) -> tuple[Service, dict]:
    service = _service_named(ctx.target, ctx.base)
    return service, _workload(service, "scale")


def bind_restart(ctx: BindContext) -> tuple[Service, dict]:
    service = _service_named(ctx.target, ctx.base)
    return service, _workload(service, "restart")


def bind_flag_toggle(ctx: BindContext) -> tuple[Service, dict]:
    return ctx.base, {
        "method": "launchdarkly",
        "flag_key": ctx.target,
        "project": ctx.environ.get("LAUNCHDARKLY_PROJECT") or "default",
        "environment": ctx.environ.get("LAUNCHDARKLY_ENVIRONMENT") or "production",
        "on": False,
    }


def bind_status_update(ctx: BindContext) -> tuple[Service, dict]:
    service = _service_named(ctx.target, ctx.base)
    severity = (ctx.packet.data.get("severity") if ctx.packet else None) or ctx.run.severity
    return service, _status(service, severity)


def set_given(params: dict, given: Mapping) -> dict:
    """What a person set when asking, laid over the bound parameters."""
    params.update(given)
    return params


def set_replicas(params: dict, given: Mapping) -> dict:
    """A replica count a person gave: a number, and it lifts the "no replica count" block."""
    if "replicas" not in given:
        return params
    try:
        params["replicas"] = int(given["replicas"])
    except (TypeError, ValueError):
        params["blocked"] = "the replica count is not a number"
    else:
        if params.get("blocked", "").startswith("no replica count"):
            params.pop("blocked")
    return params


def set_target_sha(params: dict, given: Mapping) -> dict:
    """A commit a person gave to go back to lifts the "no commit" block."""
    set_given(params, given)
    if "target_sha" in given and params.get("blocked", "").startswith("no commit"):
        params.pop("blocked")
    return params


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
