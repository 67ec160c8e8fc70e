"""The service catalog as plain lookups: teams, tiers, aliases, the depends_on graph."""

from collections import deque


def services_by_name(catalog: dict) -> dict[str, dict]:
    return {s["name"]: s for s in catalog.get("services") or [] if s.get("name")}


def team_of(catalog: dict, service: str | None) -> dict | None:
    entry = services_by_name(catalog).get(service or "")
    if not entry:
        return None
    for team in catalog.get("teams") or []:
        if team.get("name") == entry.get("team"):
            return team
    return {"name": entry.get("team"), "oncall": None}


def tier_of(catalog: dict, service: str | None) -> int | None:
    entry = services_by_name(catalog).get(service or "")
    try:
        return int(entry["tier"]) if entry and entry.get("tier") is not None else None
    except (TypeError, ValueError):
        return None


def dependency_depths(catalog: dict, service: str | None) -> dict[str, int]:
    """Every service `service` depends on, transitively, with its depth (1 = direct)."""
    graph = services_by_name(catalog)
    depths: dict[str, int] = {}
    queue: deque[tuple[str, int]] = deque([(service or "", 0)])
    while queue:
        name, depth = queue.popleft()
        for dep in (graph.get(name) or {}).get("depends_on") or []:
            if dep != service and dep not in depths:
                depths[dep] = depth + 1
                queue.append((dep, depth + 1))
    return depths


def known_names(catalog: dict) -> dict[str, str]:
    """Lower-cased catalog names and aliases -> catalog name."""
    names: dict[str, str] = {}
    for entry in catalog.get("services") or []:
        name = entry.get("name")
        if not name:
            continue
        names[name.lower()] = name
        for alias in entry.get("aliases") or []:
            names.setdefault(str(alias).lower(), name)
    return names


def resolve_service(candidates: list[str], catalog: dict) -> str | None:
    """The first candidate that is a catalog name or alias (case-insensitive), or a repo."""
    names = known_names(catalog)
    repos = {
        str(s.get("repo") or "").lower(): s["name"] for s in catalog.get("services") or [] if s.get("repo")
    }
    for candidate in candidates:
        key = str(candidate or "").strip().lower()
        if not key:
            continue
        if key in names:
            return names[key]
        if key in repos:
            return repos[key]
    return None


def service_of_repo(catalog: dict, repo: str | None) -> str | None:
    for entry in catalog.get("services") or []:
        if repo and str(entry.get("repo") or "").lower() == repo.lower():
            return entry["name"]
    return None
