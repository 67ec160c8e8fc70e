"""Every module of the project, and every class its settings name by path, imported.

A missing runtime requirement does not always stop a process at its start: the collectors'
registry, for one, takes a connector it cannot import for a source that is not configured.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from functools import partial
from urllib.parse import urlsplit

PACKAGES = ("incidentdesk", "collectors", "approvals")


def project_modules() -> Iterator[str]:
    for name in PACKAGES:
        yield name
        package = importlib.import_module(name)
        # A subpackage that fails to import is reported when it is imported below.
        for module in pkgutil.walk_packages(package.__path__, f"{name}.", onerror=lambda _: None):
            yield module.name


def settings_paths() -> Iterator[str]:
    """Dotted paths the settings name, each a module's attribute."""
    from django.conf import settings

    yield from settings.MIDDLEWARE
    yield from settings.AUTHENTICATION_BACKENDS
    yield from (storage["BACKEND"] for storage in settings.STORAGES.values())
    yield from (cache["BACKEND"] for cache in settings.CACHES.values())
    for engine in settings.TEMPLATES:
        yield engine["BACKEND"]
        yield from engine["OPTIONS"].get("context_processors", [])


def imports() -> Iterator[tuple[str, Callable[[], object]]]:
    """What to import, each with a name to report it by."""
    from django.conf import settings
    from django.utils.module_loading import import_string
    from kombu.transport import resolve_transport

    for module in project_modules():
        yield module, partial(importlib.import_module, module)
    for path in settings_paths():
        yield path, partial(import_string, path)
    for engine in settings.TEMPLATES:
        for module in engine["OPTIONS"].get("builtins", []):
            yield module, partial(importlib.import_module, module)
    # The worker imports the broker's transport only once it connects.
    scheme = urlsplit(settings.CELERY_BROKER_URL).scheme
    yield f"Celery's transport for {scheme}://", partial(resolve_transport, scheme)


def import_failures() -> tuple[int, list[str]]:
    """How many names were imported, and one line for each that could not be. Needs django.setup()."""
    imported, failures = 0, []
    for name, load in imports():
        imported += 1
        try:
            load()
        except Exception as exc:  # every failure is reported, none stops the others
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    return imported, failures
