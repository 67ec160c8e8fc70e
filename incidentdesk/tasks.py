"""Celery tasks: load the row, call one service, sort failures. State lives on our rows."""

import logging

from celery import shared_task

from incidentdesk.services import collection, grouping

logger = logging.getLogger(__name__)


@shared_task(name="incidentdesk.process_trigger", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, retry_jitter=True, max_retries=5)
def process_trigger(trigger_id: int) -> str:
    try:
        return grouping.trigger_process(trigger_id=trigger_id)
    except grouping.TriggerGone:
        return f"trigger {trigger_id} is gone"


@shared_task(name="incidentdesk.collect_source", acks_late=True)
def collect_source(run_id: int, source: str) -> str:
    return collection.source_collect(run_id=run_id, source=source)


@shared_task(name="incidentdesk.finish_collection", acks_late=True)
def finish_collection(run_id: int) -> str:
    done = collection.collection_maybe_complete(run_id=run_id, deadline_passed=True)
    return "packet built" if done else "nothing to do"


@shared_task(name="incidentdesk.sweep", acks_late=True)
def sweep() -> dict:
    from incidentdesk.services.sweeper import sweep_run

    return sweep_run()
