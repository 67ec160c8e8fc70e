"""Ownership metadata parsers: Backstage catalog-info.yaml entities and CODEOWNERS rules.

Pure functions, used by the catalog loader and the ownership source alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml
from codeowners import CodeOwners

KINDS = {"component": "Component", "system": "System", "group": "Group", "resource": "Resource"}
_DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def parse_backstage(text: str, problems: list[str] | None = None) -> list[dict]:
    """Entities of the kinds we use, in file order; bad documents are skipped and described in `problems`.

    Each entity: kind, name, namespace, owner, lifecycle, depends_on, annotations,
    system, description, type, members (Groups). Other kinds (API, User, Location…) are skipped silently.
    """
    found = problems if problems is not None else []
    entities: list[dict] = []
    chunks = [c for c in _DOCUMENT_SEPARATOR.split(text) if not _only_comments(c)]
    for number, chunk in enumerate(chunks, start=1):
        try:
            document = yaml.safe_load(chunk)
        except yaml.YAMLError as exc:
            found.append(f"document {number}: not YAML: {_first_line(exc)}")
            continue
        if document is None:
            continue
        problem, entity = _entity(document)
        if problem:
            found.append(f"document {number}: {problem}")
        elif entity is not None:
            entities.append(entity)
    return entities


def _entity(document: object) -> tuple[str | None, dict | None]:
    if not isinstance(document, dict):
        return "not a mapping", None
    kind = document.get("kind")
    if not isinstance(kind, str) or not kind:
        return "no kind", None
    canonical = KINDS.get(kind.lower())
    if canonical is None:
        return None, None
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return f"{kind} without metadata.name", None
    spec = document.get("spec") if document.get("spec") is not None else {}
    if not isinstance(spec, dict):
        return f"{kind} {metadata['name']}: spec is not a mapping", None
    annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, dict):
        return f"{kind} {metadata['name']}: annotations are not a mapping", None
    depends_on = spec.get("dependsOn") or []
    if not isinstance(depends_on, list) or not all(isinstance(ref, str) for ref in depends_on):
        return f"{kind} {metadata['name']}: dependsOn is not a list of entity refs", None
    owner = spec.get("owner")
    system = spec.get("system")
    return None, {
        "kind": canonical,
        "name": metadata["name"],
        "namespace": str(metadata.get("namespace") or "default"),
        "owner": _owner(owner) if isinstance(owner, str) else None,
        "lifecycle": _text(spec.get("lifecycle")),
        "depends_on": [_ref_name(ref) for ref in depends_on],
        "annotations": {str(k): str(v) for k, v in annotations.items()},
        "system": _ref_name(system) if isinstance(system, str) else None,
        "description": _text(metadata.get("description")),
        "type": _text(spec.get("type")),
        "members": [_ref_name(m) for m in spec.get("members") or [] if isinstance(m, str)],
    }


def _owner(ref: str) -> str:
    """An owner ref as a plain name: the Group kind and default namespace are implied, so dropped."""
    ref = ref.strip()
    kind, sep, rest = ref.partition(":")
    if sep and "/" not in kind:
        if kind.lower() == "group":
            ref = rest
        else:
            return f"{kind.lower()}:{rest.removeprefix('default/')}"
    return ref.removeprefix("default/")


def _ref_name(ref: str) -> str:
    """The name part of an entity ref: `component:default/x`, `default/x` and `x` all give x."""
    ref = ref.strip()
    if ":" in ref:
        ref = ref.split(":", 1)[1]
    return ref.rsplit("/", 1)[-1]


def _text(value: object) -> str | None:
    return str(value) if value is not None and not isinstance(value, (dict, list)) else None


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines())


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def codeowners_lookup(codeowners_text: str) -> Callable[[str], list[str]]:
    """Parse a CODEOWNERS file once; the result gives a path's owners (the last matching rule wins).

    A line GitHub would reject (an unterminated `[` range) is skipped on its own, as GitHub
    does, instead of making the whole file unreadable.
    """
    rules = CodeOwners("\n".join(_usable_rules(codeowners_text.lstrip("\ufeff"))))

    def owners(path: str) -> list[str]:
        return [value for _, value in rules.of(path.lstrip("/"))]

    return owners


def owners_for(codeowners_text: str, path: str) -> list[str]:
    """Owners of `path` under a CODEOWNERS file: the last matching rule wins; [] when none or unowned."""
    return codeowners_lookup(codeowners_text)(path)


def _usable_rules(text: str) -> list[str]:
    usable = []
    for line in text.splitlines():
        try:
            CodeOwners(line)
        except (ValueError, re.error):
            continue
        usable.append(line)
    return usable
