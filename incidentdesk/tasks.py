"""Celery tasks: load the row, call one service, sort failures. State lives on our rows."""

import logging
import time

from celery import shared_task
from django.db import InterfaceError, OperationalError

from incidentdesk.audit import audit_check_full
from incidentdesk.services import collection, grouping
from incidentdesk.services.grouping_request import grouping_request_clear, grouping_request_renew
from incidentdesk.services.sweeper import sweep_run

logger = logging.getLogger(__name__)


# In a storm the next alerts arrive within milliseconds: waiting this long after a small batch
# lets them gather into one, instead of paying a batch's fixed cost for every few alerts. An
# alert that finds the desk idle is grouped at once; one in a storm waits at most this long.
COALESCE_SECONDS = 0.2


@shared_task(bind=True, name="incidentdesk.process_triggers", acks_late=True,
             autoretry_for=(OSError, OperationalError, InterfaceError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def process_triggers(self) -> str:
    """Group every received trigger, a batch per transaction, until none is left."""
    total = 0
    taken = grouping.BATCH_SIZE
    while True:
        if taken < grouping.BATCH_SIZE and not self.request.is_eager:
            time.sleep(COALESCE_SECONDS)
        grouping_request_renew()
        taken = grouping.triggers_process_pending()
        if not taken:
            # Clear the request, wait until no web process trusts it any more, then look once
            # more: a trigger committed before that is seen now, one committed after it finds
            # no request and queues a new task.
            time.sleep(grouping_request_clear())
            taken = grouping.triggers_process_pending()
            if not taken:
                return f"{total} triggers grouped"
        total += taken


@shared_task(name="incidentdesk.collect_source", acks_late=True)
def collect_source(run_id: int, source: str) -> str:
    return collection.source_collect(run_id=run_id, source=source)


@shared_task(name="incidentdesk.finish_collection", acks_late=True)
def finish_collection(run_id: int) -> str:
    done = collection.collection_maybe_complete(run_id=run_id, deadline_passed=True)
    return "packet built" if done else "nothing to do"


@shared_task(name="incidentdesk.sweep", acks_late=True)
def sweep() -> dict:
    return sweep_run()


@shared_task(name="incidentdesk.audit_check", acks_late=True)
def audit_check() -> str:
    """Walk the whole audit chain and keep the walk as the next anchor."""
    return str(audit_check_full())
