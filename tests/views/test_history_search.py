"""History search finds what the run page shows: ids as written, words stemmed, the packet's
causes, signals and cited evidence, the service's aliases; on PostgreSQL and on SQLite (FTS5)."""

import pytest

from incidentdesk.models import Run
from incidentdesk.search import query_groups, runs_search
from tests.views.builders import finished_run, run_create

pytestmark = pytest.mark.django_db


def found(text: str) -> set[int]:
    return set(runs_search(Run.objects.all(), text=text).values_list("pk", flat=True))


@pytest.fixture
def runs(users):
    with_packet = finished_run()  # a packet citing deploy d-77 and flag fast-cart
    other = run_create("ledger-db", title="ledger-db replication lag",
                       cause="vacuum blocked by a long transaction", resolution="Rolled back the migration")
    return {"packet": with_packet.pk, "other": other.pk}


def test_the_packets_ids_and_words_are_searchable(runs):
    assert found("d-77") == {runs["packet"]}
    assert found("fast-cart") == {runs["packet"]}
    assert found("fail request versions") == {runs["packet"]}  # words of the likely cause, stemmed
    assert found("p99 latency rose") == {runs["packet"]}  # a signal


def test_the_service_and_its_aliases_are_searchable(runs):
    assert found("checkout-api") == {runs["packet"]}
    assert found("acme/checkout") == {runs["packet"]}  # the repository is an alias


def test_words_are_stemmed_and_joined_words_find_their_parts(runs):
    assert found("transactions") == {runs["other"]}
    assert found("rollback") == {runs["other"]}  # "Rolled back the migration"
    assert found("roll back migration") == {runs["other"]}


def test_every_word_must_match_and_nothing_is_found_for_a_stranger(runs):
    assert found("d-77 vacuum") == set()
    assert found("kangaroo") == set()
    assert found("") == {runs["packet"], runs["other"]}


def test_a_new_packet_version_updates_what_is_found(runs):
    run = Run.objects.get(pk=runs["packet"])
    Run.objects.filter(pk=run.pk).update(search_text="now about d-99")
    assert found("d-99") == {run.pk} and found("d-77") == set()


def test_query_words_keep_their_ids_and_their_other_spelling():
    assert query_groups("Roll back #4821 on checkout-api, timeout") == [
        ["roll back", "rollback"], ["4821"], ["on"], ["checkout-api"], ["timeout", "time out"]]
