"""The sweeper: whatever was stored but never processed gets enqueued again.

Runs from Celery beat. A webhook stored while the broker was down, or a run whose
collection tasks were lost with a dead worker, is picked up here.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from incidentdesk import clock
from incidentdesk.models import Run, Trigger
from incidentdesk.services.collection import collection_enqueue, collection_maybe_complete
from incidentdesk.services.grouping_request import grouping_request


def sweep_run(*, limit: int = 500) -> dict:
    now = clock.now()
    stale = now - timedelta(seconds=settings.SWEEP_STALE_SECONDS)
    triggers = list(
        Trigger.objects.filter(status=Trigger.Status.RECEIVED)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    if triggers:
        # One grouping task takes every received trigger; mark them first so that a failed
        # request can put them back as never enqueued.
        Trigger.objects.filter(pk__in=triggers).update(enqueued_at=now)
        if grouping_request():
            enqueued = len(triggers)
        else:  # the broker is still down; try again next sweep
            Trigger.objects.filter(pk__in=triggers, status=Trigger.Status.RECEIVED).update(enqueued_at=None)
    # Runs past their collection deadline: finish them with what has arrived.
    overdue = list(
        Run.objects.filter(collection=Run.Collection.COLLECTING, collection_deadline_at__lt=now)
        .values_list("pk", flat=True)[:limit]
    )
    for run_id in overdue:
        collection_maybe_complete(run_id=run_id, deadline_passed=True)
    # Runs whose collection was never handed to a worker.
    waiting = list(
        Run.objects.filter(collection=Run.Collection.COLLECTING, collection_started_at__lt=stale,
                           collections__state="waiting")
        .distinct().values_list("pk", flat=True)[:limit]
    )
    requeued = sum(1 for run_id in waiting if collection_enqueue(run_id=run_id))
    return {"triggers": enqueued, "of": len(triggers), "finished_runs": len(overdue), "requeued_runs": requeued}
