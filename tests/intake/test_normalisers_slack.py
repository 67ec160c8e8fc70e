from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def watched(settings):
    settings.SLACK_WATCHED_CHANNELS = ["C0OPS0001", "#payments-oncall"]
    return settings


def slash(text: str, **fields: str) -> bytes:
    form = {"token": "verification-token-value", "command": "/incident", "text": text, "user_name": "marta",
            "trigger_id": "5550001113.4440002221.aa", **fields}
    return urlencode(form).encode()


def test_the_incident_command_opens_a_run_for_the_first_word_of_its_text():
    headers, body = load("slack/slash_incident")
    headers["X-Slack-Request-Timestamp"] = "1749050000"
    delivery = normalise("slack", headers, body)
    event = delivery.events[0]

    assert delivery.delivery_id == "5550001113.4440002221.0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert event.kind == "trigger"
    assert event.vendor_key is None
    assert event.service_name == "inventory-api"
    assert event.severity_hint == "sev1"
    assert event.title == "stock levels wrong on every product page"
    assert event.symptoms == ("stock levels wrong on every product page",)
    assert event.occurred_at == datetime(2025, 6, 4, 15, 13, 20, tzinfo=UTC)
    assert event.attributes["user_name"] == "marta"
    assert event.attributes["text"] == "inventory-api SEV1 stock levels wrong on every product page"


def test_the_command_gets_an_ephemeral_reply_naming_the_service():
    delivery = normalise("slack", *load("slack/slash_incident"))

    assert delivery.reply["response_type"] == "ephemeral"
    assert "Opening an incident run for inventory-api" in delivery.reply["text"]


def test_the_verification_token_is_kept_nowhere():
    delivery = normalise("slack", *load("slack/slash_incident"))
    event = delivery.events[0]

    assert "token" not in event.attributes
    assert "vErIfIcAtIoNtOkEn000111" not in repr(delivery)


def test_a_severity_word_before_the_service_is_not_taken_for_the_service():
    event = normalise("slack", FORM, slash("sev3 search-api slow results")).events[0]

    assert event.service_name == "search-api"
    assert event.severity_hint == "sev3"
    assert event.title == "slow results"


def test_a_command_without_severity_gives_no_hint():
    event = normalise("slack", FORM, slash("search-api slow results")).events[0]

    assert event.severity_hint is None


def test_a_command_with_no_text_answers_with_usage_and_opens_nothing():
    delivery = normalise("slack", FORM, slash("  "))

    assert delivery.events == ()
    assert delivery.reply["text"].startswith("Usage: /incident")


def test_another_command_opens_nothing():
    delivery = normalise("slack", FORM, slash("search-api", command="/deploy"))

    assert delivery.events == ()
    assert delivery.reply["response_type"] == "ephemeral"


def test_a_form_without_a_command_is_rejected():
    with pytest.raises(PayloadError, match="missing required field command"):
        normalise("slack", FORM, b"text=hello&user_name=marta")


def test_a_body_that_is_not_form_encoded_is_rejected():
    with pytest.raises(PayloadError, match="not form-encoded"):
        normalise("slack", FORM, b"this is not a form")


def test_the_url_verification_challenge_is_echoed():
    delivery = normalise("slack", *load("slack/url_verification"))

    assert delivery.events == ()
    assert delivery.reply == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_a_message_in_a_watched_channel_opens_a_run_keyed_on_its_thread(watched):
    delivery = normalise("slack", *load("slack/message"))
    event = delivery.events[0]

    assert delivery.delivery_id == "Ev07ABCD1234"
    assert event.kind == "trigger"
    assert event.vendor_key == "slack:C0OPS0001:1749050101.000200"
    assert event.service_name is None
    assert event.severity_hint == "sev2"
    assert event.symptoms == ("checkout is returning 502s for everyone in EU, sev2 I think",)
    assert event.occurred_at == datetime(2025, 6, 4, 15, 15, 1, 200, tzinfo=UTC)


def test_a_retried_event_keeps_its_event_id(watched):
    headers, body = load("slack/message")
    retry_headers = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    retry = normalise("slack", retry_headers, body)

    assert retry.delivery_id == normalise("slack", headers, body).delivery_id


def test_a_reply_in_the_thread_updates_the_same_vendor_key(watched):
    opening = normalise("slack", *load("slack/message")).events[0]
    reply = normalise("slack", *load("slack/thread_reply")).events[0]

    assert reply.kind == "update"
    assert reply.vendor_key == opening.vendor_key


def test_a_message_in_an_unwatched_channel_is_ignored(settings):
    settings.SLACK_WATCHED_CHANNELS = ["C0SOMEWHERE"]

    assert normalise("slack", *load("slack/message")).events[0].kind == "ignore"


def test_with_no_watched_channels_every_channel_the_app_is_in_counts(settings):
    settings.SLACK_WATCHED_CHANNELS = []

    assert normalise("slack", *load("slack/message")).events[0].kind == "trigger"


def test_a_message_outside_the_watched_list_is_ignored(settings):
    settings.SLACK_WATCHED_CHANNELS = ["C0SOMEWHEREELSE"]

    assert normalise("slack", *load("slack/message")).events[0].kind == "ignore"


def test_a_channel_listed_by_name_matches_a_payload_that_carries_the_name(watched):
    headers, payload = load_parsed("slack/message")
    payload["event"]["channel"] = "C0PAYMENTS"
    payload["event"]["channel_name"] = "payments-oncall"

    assert normalise("slack", headers, encode(payload)).events[0].kind == "trigger"


@pytest.mark.parametrize("name", ["slack/bot_message", "slack/message_changed"])
def test_bot_posts_and_edits_are_ignored_even_in_watched_channels(watched, name):
    assert normalise("slack", *load(name)).events[0].kind == "ignore"


def test_a_message_from_a_bot_without_the_bot_subtype_is_ignored(watched):
    headers, payload = load_parsed("slack/message")
    payload["event"]["bot_id"] = "B0DEPLOYER"

    assert normalise("slack", headers, encode(payload)).events[0].kind == "ignore"


def test_events_other_than_messages_carry_nothing(watched):
    headers, payload = load_parsed("slack/message")
    payload["event"] = {"type": "reaction_added", "user": "U0MARTA77", "reaction": "eyes"}

    delivery = normalise("slack", headers, encode(payload))

    assert delivery.events == ()
    assert delivery.delivery_id == "Ev07ABCD1234"


def test_an_event_callback_without_its_event_is_rejected():
    headers, payload = load_parsed("slack/message")
    del payload["event"]

    with pytest.raises(PayloadError, match="missing required field event"):
        normalise("slack", headers, encode(payload))


def test_a_message_saying_since_when_in_utc_gives_the_start():
    delivery = normalise("slack", {**FORM, "X-Slack-Request-Timestamp": "1451074051"}, slash(
        "checkout-api sev2 143 tickets since about 19:52 UTC: customers see other accounts"))
    assert delivery.events[0].started_at == datetime(2015, 12, 25, 19, 52, tzinfo=UTC)


def test_a_time_without_a_zone_is_not_guessed():
    delivery = normalise("slack", {**FORM, "X-Slack-Request-Timestamp": "1451074051"}, slash(
        "checkout-api failing since 19:52"))
    assert delivery.events[0].started_at is None


def test_slack_markup_reads_as_a_person_would_read_it():
    from incidentdesk.intake.normalisers.slack import plain_text

    raw = (":rotating_light: <@U0SOLDESK> can <@U07ABC|maria> look? see <#C01PAY|payments-oncall> and "
           "<https://grafana.example.com/d/1|the dashboard> <!here>")
    assert plain_text(raw) == "can @maria look? see #payments-oncall and the dashboard @here"
    assert plain_text("ratio 10:30:00 stays") == "ratio 10:30:00 stays"
