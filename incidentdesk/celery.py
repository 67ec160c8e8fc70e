import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

from incidentdesk.policy import current_policy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")

app = Celery("incidentdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _policy_readable(**kwargs) -> None:
    """A worker does not start on a policy file the desk cannot use (the error names its line)."""
    current_policy()


@task_prerun.connect
def _database_connections_check(task=None, **kwargs) -> None:
    """Before a task what Django does per request, and a check that a kept connection still works.

    A connection dropped by a database restart is replaced here instead of failing the task.
    Not for a task run in process: it is inside its caller's request, maybe its transaction.
    """
    if _in_process(task):
        return
    from django.db import close_old_connections, connections

    close_old_connections()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.is_usable():
            conn.close()


@task_postrun.connect
def _database_connections_tidy(task=None, **kwargs) -> None:
    """After a task: keep connections for CONN_MAX_AGE, drop broken ones."""
    if _in_process(task):
        return
    from django.db import close_old_connections

    close_old_connections()


def _in_process(task) -> bool:
    return task is None or getattr(task.request, "is_eager", False)
