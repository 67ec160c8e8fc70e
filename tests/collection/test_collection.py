"""The collection fan-out: scope, redaction, idempotency, deadlines and late evidence."""

from datetime import datetime, timezone

import pytest

from collectors.base import SOURCES, Fetched, NotConfigured, Record, SourceError
from collectors.registry import backend
from incidentdesk.models import AuditEntry, Evidence, Run, SourceCollection
from incidentdesk.services.collection import collection_maybe_complete, source_collect
from tests.intake.test_intake_flow import pagerduty

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)


class Answers:
    """A backend whose sources answer what the test says, and count how often they are asked."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls: dict[str, int] = {}

    def __call__(self, source: str):
        backend_self = self

        class Connector:
            vendor = "test"

            def __init__(self):
                self.source = source

            def fetch(self, scope, *, deadline):
                backend_self.calls[source] = backend_self.calls.get(source, 0) + 1
                answer = backend_self.answers.get(source, Fetched([]))
                if isinstance(answer, Exception):
                    raise answer
                return answer(scope) if callable(answer) else answer

        return [Connector()]


def log(ref: str, service: str, message: str) -> Record:
    return Record(ref=ref, service=service, observed_at=T0,
                  data={"ts": "2026-03-04T10:00:00Z", "service": service, "level": "error", "message": message,
                        "attributes": {}})


def open_run(hooks, answers) -> Run:
    with backend(answers):
        hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "c-1"})
        from incidentdesk.models import Trigger
        from incidentdesk.services.grouping import trigger_process

        trigger_process(trigger_id=Trigger.objects.get().pk)
    return Run.objects.get()


def collect_all(run: Run, answers) -> None:
    with backend(answers):
        for source in SOURCES:
            source_collect(run_id=run.pk, source=source)


def test_every_source_is_read_and_the_packet_built_once_all_have_answered(hooks, catalog):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom")]),
                      errors=SourceError("timeout", "no answer", transient=True),
                      runbooks=SourceError("not_configured", "RUNBOOKS_DIR"))
    run = open_run(hooks, answers)
    assert run.collection == Run.Collection.COLLECTING and not run.packets.exists()
    collect_all(run, answers)
    run.refresh_from_db()
    assert run.collection == Run.Collection.DONE
    packet = run.packets.get()
    assert {"source": "errors", "reason": "timeout"} in packet.data["gaps"]
    assert {"source": "runbooks", "reason": "not_configured"} in packet.data["gaps"]
    assert set(answers.calls) == set(SOURCES)


def test_a_record_about_a_service_outside_the_scope_is_refused_and_audited(hooks, catalog):
    # checkout-api depends on payments-gateway → ledger-db; status-page is outside its scope.
    answers = Answers(logs=Fetched([log("in", "ledger-db", "disk full"), log("out", "status-page", "hello")]))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    assert list(Evidence.objects.filter(run=run, source="logs").values_list("ref", flat=True)) == ["in"]
    refused = AuditEntry.objects.get(action="source.read_refused", run_id=run.pk)
    assert "status-page" in refused.detail["out_of_scope"][0]
    assert "reads-inside-service-scope" in refused.detail["out_of_scope"][0]


def test_personal_data_is_redacted_before_it_is_stored_and_the_kind_is_kept(hooks, catalog):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "refund failed for maria@example.com card 4111 1111 1111 1111")]))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    evidence = Evidence.objects.get(run=run, source="logs")
    assert "maria@example.com" not in evidence.data["message"]
    assert "4111" not in evidence.data["message"]
    assert set(evidence.redactions) == {"email", "card"}
    assert AuditEntry.objects.get(action="source.read", run_id=run.pk, detail__source="logs").touches_customer_data


def test_a_source_collected_twice_stores_nothing_twice(hooks, catalog):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom"), log("l2", "checkout-api", "bang")]))
    run = open_run(hooks, answers)
    with backend(answers):
        source_collect(run_id=run.pk, source="logs")
        # A redelivered task after a dead worker: the row is claimable again while running.
        SourceCollection.objects.filter(run=run, source="logs").update(state=SourceCollection.State.RUNNING)
        source_collect(run_id=run.pk, source="logs")
    assert answers.calls["logs"] == 2
    assert Evidence.objects.filter(run=run, source="logs").count() == 2


def test_a_finished_source_is_not_collected_again(hooks, catalog):
    answers = Answers()
    run = open_run(hooks, answers)
    with backend(answers):
        source_collect(run_id=run.pk, source="deploys")
        assert source_collect(run_id=run.pk, source="deploys").startswith("not claimable")
    assert answers.calls["deploys"] == 1


def test_the_run_deadline_builds_the_packet_with_what_arrived_and_late_evidence_updates_it(hooks, catalog):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom")]))
    run = open_run(hooks, answers)
    with backend(answers):
        for source in SOURCES:
            if source != "logs":
                source_collect(run_id=run.pk, source=source)
        assert not run.packets.exists()
        collection_maybe_complete(run_id=run.pk, deadline_passed=True)
        first = run.packets.get()
        assert {"source": "logs", "reason": "timeout"} in first.data["gaps"]
        # The slow source answers after all: the packet is rebuilt with its evidence.
        SourceCollection.objects.filter(run=run, source="logs").update(state=SourceCollection.State.RUNNING)
        source_collect(run_id=run.pk, source="logs")
    latest = run.packets.order_by("-version").first()
    assert latest.version == 2
    assert {"source": "logs", "reason": "timeout"} not in latest.data["gaps"]
    assert Evidence.objects.filter(run=run, source="logs").count() == 1


def test_a_cut_answer_is_marked_truncated(hooks, catalog):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom")], truncated=True, note="kept 1 of 5000 lines"))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    collection = SourceCollection.objects.get(run=run, source="logs")
    assert collection.truncated and "kept 1 of 5000" in collection.detail
    assert Evidence.objects.get(run=run, source="logs").truncated


def test_a_packet_rebuilt_from_its_stored_evidence_is_the_same(hooks, catalog):
    from incidentdesk.services.packets import packet_rebuild

    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom")]))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    packet = run.packets.get()
    rebuilt = packet_rebuild(packet)
    assert rebuilt == packet.data


def test_a_packet_built_from_less_evidence_never_replaces_a_newer_one(hooks, catalog):
    from incidentdesk.services import packets

    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom"), log("l2", "checkout-api", "bang")]))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    newest = run.packets.get()
    # A slower builder that read the evidence before the second line arrived writes last.
    older_view = [pk for pk in newest.evidence_ids][:1]
    kept = packets._packet_store(run, {**newest.data, "text": "older view"}, older_view, True)
    assert kept.pk == newest.pk
    assert run.packets.count() == 1


class Unconfigured(Answers):
    """Like Answers, but the sources named have no connector configured at all."""

    def __init__(self, missing: set[str], **answers):
        super().__init__(**answers)
        self.missing = missing

    def __call__(self, source: str):
        if source in self.missing:
            raise NotConfigured(f"{source.upper()}_URL is not set")
        return super().__call__(source)


def test_a_source_with_no_connector_configured_is_a_gap_from_the_start_and_gets_no_task(
        hooks, catalog, monkeypatch, django_capture_on_commit_callbacks):
    queued, deadlines = [], []
    monkeypatch.setattr("incidentdesk.tasks.collect_source.apply_async",
                        lambda args, countdown: queued.append(args[1]))
    monkeypatch.setattr("incidentdesk.tasks.finish_collection.apply_async",
                        lambda args, countdown: deadlines.append(countdown))
    answers = Unconfigured({"runbooks", "feature_flags"})
    with django_capture_on_commit_callbacks(execute=True):
        run = open_run(hooks, answers)

    assert sorted(queued) == sorted(set(SOURCES) - {"runbooks", "feature_flags"})
    assert deadlines == [30]  # the run's deadline, for the sources still to answer
    gaps = SourceCollection.objects.filter(run=run, state=SourceCollection.State.FAILED)
    assert {(g.source, g.reason) for g in gaps} == {("runbooks", "not_configured"), ("feature_flags", "not_configured")}
    assert "RUNBOOKS_URL" in gaps.get(source="runbooks").detail
    failed_reads = AuditEntry.objects.filter(action="source.read_failed", run_id=run.pk)
    assert {e.detail["source"] for e in failed_reads} == {"runbooks", "feature_flags"}

    collect_all(run, answers)
    packet = run.packets.get()
    assert {"source": "runbooks", "reason": "not_configured"} in packet.data["gaps"]
    assert "runbooks" not in answers.calls and "feature_flags" not in answers.calls


def test_a_run_with_no_source_configured_gets_its_packet_without_any_collection_task(
        hooks, catalog, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("incidentdesk.tasks.collect_source.apply_async",
                        lambda args, countdown: queued.append(args[1]))
    with django_capture_on_commit_callbacks(execute=True):
        run = open_run(hooks, Unconfigured(set(SOURCES)))
    assert queued == []
    run.refresh_from_db()
    assert run.collection == Run.Collection.DONE
    assert {g["source"] for g in run.packets.get().data["gaps"]} == set(SOURCES)


def test_the_deadline_after_every_source_answered_builds_nothing_again(hooks, catalog, monkeypatch):
    answers = Answers(logs=Fetched([log("l1", "checkout-api", "boom")]))
    run = open_run(hooks, answers)
    collect_all(run, answers)
    builds = []
    monkeypatch.setattr("incidentdesk.services.collection.packet_build", lambda *, run: builds.append(run.pk))

    assert collection_maybe_complete(run_id=run.pk, deadline_passed=True) is False
    assert builds == [] and run.packets.count() == 1
