"""Slack: the run's packet posted to the owning team's channel, then kept current in place."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_API_URL = "https://slack.com/api"
# Slack answers 200 with ok:false for most failures; these are worth another try later.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# ...and after these Slack says part of the operation may have happened: a post is not resent.
MAYBE_DONE_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})
METADATA_EVENT = "incident_desk_packet"
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SlackMessage(Executor):
    """chat.postMessage for the first packet, chat.update of the same `ts` for later versions.

    An update of a known `ts` may be resent; a post may not. The post carries the request key
    in its message metadata, so an unanswered post is looked up in the channel's history
    (conversations.history, which needs the channel's id and the history scope).
    """

    vendor = "slack"
    credentials = ("SLACK_BOT_TOKEN",)
    secret_names = ("SLACK_BOT_TOKEN",)
    idempotency = "the message's ts is stored: later versions update it; a post is sent once"

    def post(
        self, *, channel: str, text: str, blocks: list[dict], ts: str = "", key: str = ""
    ) -> ExecutionResult:
        body: dict = {"channel": channel, "text": text, "blocks": blocks}
        method = "chat.update" if ts else "chat.postMessage"
        if ts:
            body["ts"] = ts
        elif key:
            body["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"request": key}}
        request = OutboundRequest("POST", f"{self.base}/{method}", self.headers(), body, self.secrets())
        try:
            response = self.send(request, resend=bool(ts), expect=(200,))
            if response is None:
                return self.recorded(
                    f"would {'update' if ts else 'post'} the packet in {channel}",
                    external_id=ts,
                    extra={"channel": channel},
                )
            data = self._answer(self.json(response), once=not ts)
        except ExecutorError as exc:
            return self.settle(
                exc, find=lambda: self._find(channel, key), check=f"the Slack channel {channel}"
            )
        return self._posted(data, channel, ts, response)

    @property
    def base(self) -> str:
        return self.env("SLACK_API_URL", DEFAULT_API_URL).rstrip("/")

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret('SLACK_BOT_TOKEN')}",
            "Content-Type": "application/json; charset=utf-8",
        }

    def _answer(self, data, *, once: bool = False) -> dict:
        """Slack's answer when ok; otherwise ExecutorError (`unknown` when a post may have happened)."""
        if not isinstance(data, dict):
            raise ExecutorError("malformed", "Slack's answer is not an object", requests=list(self.sent))
        if not data.get("ok"):
            error = str(data.get("error") or "unknown_error")
            unknown = once and error in MAYBE_DONE_ERRORS
            raise ExecutorError(
                "rate_limited" if error == "ratelimited" else "error",
                f"Slack said {error}",
                transient=error in TRANSIENT_ERRORS and not unknown,
                requests=list(self.sent),
                unknown=unknown,
            )
        return data

    def _find(self, channel: str, key: str) -> ExecutionResult | None:
        """The message posted since the request began whose metadata carries its key."""
        if not key or not CHANNEL_ID.match(channel):
            return None
        query = urlencode(
            {
                "channel": channel,
                "oldest": f"{self.started.timestamp() - 60:.6f}",
                "include_all_metadata": "true",
                "limit": 100,
            }
        )
        history = self._answer(self.read(f"{self.base}/conversations.history?{query}", self.headers()))
        for message in history.get("messages") or []:
            metadata = message.get("metadata") if isinstance(message, dict) else None
            payload = (metadata or {}).get("event_payload") or {}
            if (metadata or {}).get("event_type") == METADATA_EVENT and payload.get("request") == key:
                return self._posted({"ts": message.get("ts"), "channel": channel}, channel, "")
        return None

    def _posted(self, data: dict, channel: str, ts: str, response=None) -> ExecutionResult:
        return self.done(
            f"{'updated' if ts else 'posted'} the packet in {channel}",
            response,
            external_id=str(data.get("ts") or ts),
            extra={"channel": str(data.get("channel") or channel)},
            answer={"ok": True, "ts": data.get("ts"), "channel": data.get("channel")},
        )
