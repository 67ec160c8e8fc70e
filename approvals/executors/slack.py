"""Slack: the run's packet posted to the owning team's channel, then kept current in place."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_API_URL = "https://slack.com/api"
# Slack answers 200 with ok:false for most failures; these are worth another try later.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackMessage(Executor):
    """chat.postMessage for the first packet, chat.update of the same `ts` for later versions."""

    vendor = "slack"
    credentials = ("SLACK_BOT_TOKEN",)
    secret_names = ("SLACK_BOT_TOKEN",)
    idempotency = "the message's ts is stored: later versions update it instead of posting again"

    def post(self, *, channel: str, text: str, blocks: list[dict], ts: str = "") -> ExecutionResult:
        body: dict = {"channel": channel, "text": text, "blocks": blocks}
        method = "chat.update" if ts else "chat.postMessage"
        if ts:
            body["ts"] = ts
        headers = {
            "Authorization": f"Bearer {self.secret('SLACK_BOT_TOKEN')}",
            "Content-Type": "application/json; charset=utf-8",
        }
        base = self.env("SLACK_API_URL", DEFAULT_API_URL).rstrip("/")
        response = self.send(
            OutboundRequest("POST", f"{base}/{method}", headers, body, self.secrets()), expect=(200,)
        )
        if response is None:
            return self.recorded(
                f"would {'update' if ts else 'post'} the packet in {channel}",
                external_id=ts,
                extra={"channel": channel},
            )
        data = self.json(response)
        if not isinstance(data, dict):
            raise ExecutorError("malformed", "Slack's answer is not an object", requests=list(self.sent))
        if not data.get("ok"):
            error = str(data.get("error") or "unknown_error")
            raise ExecutorError(
                "rate_limited" if error == "ratelimited" else "error",
                f"Slack said {error}",
                transient=error in TRANSIENT_ERRORS,
                requests=list(self.sent),
            )
        return self.done(
            f"{'updated' if ts else 'posted'} the packet in {channel}",
            response,
            external_id=str(data.get("ts") or ts),
            extra={"channel": str(data.get("channel") or channel)},
            answer={"ok": True, "ts": data.get("ts"), "channel": data.get("channel")},
        )
