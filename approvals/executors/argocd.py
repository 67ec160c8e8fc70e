"""Argo CD: roll an application back to an earlier entry of its history."""

from __future__ import annotations

from urllib.parse import quote

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

AUTO_SYNC_REFUSAL = "auto-sync is enabled on {app}: Argo CD refuses a rollback until auto-sync is turned off"


class ArgoCDRollback(Executor):
    """Reads the application to find the history id of the revision to go back to, then rolls back.

    Argo CD refuses a rollback while `spec.syncPolicy.automated` is set (it would sync straight
    back to Git), so the desk refuses first with that reason rather than send a doomed request.
    Rolling back to the same history id twice leaves the same state, so a repeat is harmless.
    """

    vendor = "argocd"
    credentials = ("ARGOCD_URL", "ARGOCD_TOKEN")
    secret_names = ("ARGOCD_TOKEN",)
    idempotency = "natural: a rollback names an absolute history id"

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret('ARGOCD_TOKEN')}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        app = str(params.get("app") or "")
        if not app:
            raise ExecutorError("error", "the rollback names no Argo CD application", refused=True)
        base = (self.env("ARGOCD_URL") or "${ARGOCD_URL}").rstrip("/")
        path = f"{base}/api/v1/applications/{quote(app, safe='')}"
        query = f"?appNamespace={quote(params['app_namespace'])}" if params.get("app_namespace") else ""
        read = self.send(
            OutboundRequest("GET", path + query, self.headers(), None, self.secrets()),
            resend=True,
            expect=(200,),
        )
        history_id = params.get("history_id")
        if read is not None:
            history_id = self._history_id(self.json(read), app, params)
        body = {
            "id": str(history_id)
            if history_id is not None
            else f"<history id of {params.get('target_sha')}, read from the application>",
            "dryRun": False,
            "prune": False,
        }
        if params.get("app_namespace"):
            body["appNamespace"] = params["app_namespace"]
        response = self.send(
            OutboundRequest("POST", f"{path}/rollback", self.headers(), body, self.secrets()),
            resend=True,
            expect=(200,),
        )
        what = f"{app} to history {body['id']} ({params.get('target_sha')})"
        if response is None:
            return self.recorded(f"would roll back {what}")
        data = self.json(response)
        sync = (
            ((data or {}).get("status") or {}).get("sync", {}).get("status")
            if isinstance(data, dict)
            else None
        )
        return self.done(f"rolled back {what}", response, answer={"history_id": history_id, "sync": sync})

    def _history_id(self, application: dict, app: str, params: dict) -> int:
        if not isinstance(application, dict):
            raise ExecutorError(
                "malformed", "the application answer is not an object", requests=list(self.sent)
            )
        if ((application.get("spec") or {}).get("syncPolicy") or {}).get("automated"):
            raise ExecutorError(
                "refused", AUTO_SYNC_REFUSAL.format(app=app), refused=True, requests=list(self.sent)
            )
        wanted = str(params.get("target_sha") or "")
        history = (application.get("status") or {}).get("history") or []
        matches = [
            h
            for h in history
            if isinstance(h, dict) and str(h.get("revision", "")).startswith(wanted) and wanted
        ]
        if params.get("history_id") is not None:
            matches = [h for h in matches if str(h.get("id")) == str(params["history_id"])]
        if not matches:
            raise ExecutorError(
                "refused",
                f"{app} has no history entry for revision {wanted or '?'}",
                refused=True,
                requests=list(self.sent),
            )
        return int(max(matches, key=lambda h: int(h.get("id", 0)))["id"])
