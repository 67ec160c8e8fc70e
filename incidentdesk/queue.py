"""Putting work on the task queue by the task's name.

Services enqueue tasks and tasks call services: naming the task, instead of importing it, keeps
the two from importing each other. In the embedded default the task runs in process, as its
`delay` would. Raises whatever the broker raises when it cannot take the message.
"""

from incidentdesk.celery import app


def enqueue(task: str, *args, countdown: float | None = None):
    return app.tasks[task].apply_async(args, countdown=countdown)
