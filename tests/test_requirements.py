"""What production installs is requirements.txt alone: every line pinned to one version, and
Celery with the extra that brings its Redis transport's own imports (bin/smoke proves the rest)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[0-9][A-Za-z0-9.+!-]*$")


def requirements(name: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-r ")]


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_requirement_is_pinned_to_one_version(name):
    assert [line for line in requirements(name) if not PINNED.match(line)] == []


def test_celery_is_installed_with_its_redis_transport():
    assert any(line.lower().startswith("celery[redis]==") for line in requirements("requirements.txt"))
