"""Loading the service catalog: teams, services, aliases, and who may approve what."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm, get_groups_with_perms, remove_perm

from incidentdesk.models import Service, ServiceAlias, Team

APPROVE_PERMISSION = "approve_action"


class CatalogError(ValueError):
    """The catalog file cannot be loaded; the message says where and why."""


@dataclass
class CatalogChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _require(entry: dict, key: str, what: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{what} without a '{key}': {entry!r:.120}")
    return value.strip()


@transaction.atomic
def catalog_load(*, catalog: dict) -> CatalogChanges:
    """Create or update teams and services from a scenario-shaped catalog dict.

    Side effects: users for team members (unusable passwords) and their group memberships;
    the `approve_action` object permission on each service for its owning team's group only.
    Loading the same catalog twice changes nothing. Raises CatalogError on a malformed entry.
    """
    if not isinstance(catalog, dict):
        raise CatalogError("the catalog must be an object with 'teams' and 'services'")
    changes = CatalogChanges()
    teams = {}
    for entry in catalog.get("teams") or []:
        team = _team_upsert(entry, changes)
        teams[team.name] = team
    services_in = catalog.get("services") or []
    services: dict[str, Service] = {}
    for entry in services_in:
        name = _require(entry, "name", "a service")
        team_name = _require(entry, "team", f"service {name}")
        team = teams.get(team_name) or Team.objects.filter(name=team_name).first()
        if team is None:
            raise CatalogError(f"service {name} names team {team_name}, which is not in the catalog")
        services[name] = _service_upsert(entry, team, changes)
    for entry in services_in:
        service = services[entry["name"].strip()]
        wanted = set(entry.get("depends_on") or [])
        missing = wanted - set(Service.objects.filter(name__in=wanted).values_list("name", flat=True))
        for name in sorted(missing):
            changes.problems.append(f"{service.name} depends on {name}, which is not in the catalog")
        current = set(service.depends_on.values_list("name", flat=True))
        if current != wanted - missing:
            service.depends_on.set(Service.objects.filter(name__in=wanted - missing))
            changes.updated.append(f"service {service.name} dependencies")
    return changes


def _team_upsert(entry: dict, changes: CatalogChanges) -> Team:
    name = _require(entry, "name", "a team")
    group, _ = Group.objects.get_or_create(name=f"team:{name}")
    values = {
        "oncall": entry.get("oncall") or "",
        "slack_channel": entry.get("slack_channel") or "",
        "display_name": entry.get("display_name") or entry.get("title") or "",
    }
    team = Team.objects.filter(name=name).first()
    if team is None:
        team = Team.objects.create(name=name, group=group, **values)
        changes.created.append(f"team {name}")
    elif any(getattr(team, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(team, key, value)
        team.save()
        changes.updated.append(f"team {name}")
    members = entry.get("members")
    if members is not None:
        _members_sync(group, members, changes, name)
    return team


def _members_sync(group: Group, members: list[str], changes: CatalogChanges, team_name: str) -> None:
    user_model = get_user_model()
    wanted = {m.strip() for m in members if isinstance(m, str) and m.strip()}
    current = set(group.user_set.values_list("username", flat=True))
    for username in wanted - current:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username)
            user.set_unusable_password()
            user.save()
        user.groups.add(group)
    removed = current - wanted
    if removed:
        group.user_set.remove(*user_model.objects.filter(username__in=removed))
    if wanted != current:
        changes.updated.append(f"team {team_name} members")


def _service_upsert(entry: dict, team: Team, changes: CatalogChanges) -> Service:
    name = _require(entry, "name", "a service")
    tier = entry.get("tier", 3)
    if tier not in (1, 2, 3):
        raise CatalogError(f"service {name} has tier {tier!r}; tiers are 1, 2 or 3")
    values = {
        "team": team,
        "tier": tier,
        "repo": entry.get("repo") or "",
        "runbook": entry.get("runbook") or "",
        "lifecycle": entry.get("lifecycle") or "",
        "description": entry.get("description") or "",
        "annotations": entry.get("annotations") or {},
    }
    service = Service.objects.filter(name=name).first()
    previous_team = service.team if service else None
    if service is None:
        service = Service.objects.create(name=name, **values)
        changes.created.append(f"service {name}")
    elif any(getattr(service, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(service, key, value)
        service.save()
        changes.updated.append(f"service {name}")
    _aliases_sync(service, entry.get("aliases") or [], changes)
    _approvers_sync(service, team, previous_team)
    return service


def _aliases_sync(service: Service, aliases: list[str], changes: CatalogChanges) -> None:
    wanted = {service.name.lower()} | {a.strip().lower() for a in aliases if isinstance(a, str) and a.strip()}
    if service.repo:
        wanted.add(service.repo.lower())
    current = set(service.alias_set.values_list("name", flat=True))
    if wanted == current:
        return
    service.alias_set.exclude(name__in=wanted).delete()
    for alias in sorted(wanted - current):
        taken = ServiceAlias.objects.filter(name=alias).exclude(service=service).first()
        if taken:
            changes.problems.append(f"alias {alias} of {service.name} already names {taken.service.name}")
            continue
        ServiceAlias.objects.create(name=alias, service=service)
    changes.updated.append(f"service {service.name} aliases")


def _approvers_sync(service: Service, team: Team, previous_team: Team | None) -> None:
    """Only the owning team's group may approve actions on the service."""
    for group in get_groups_with_perms(service, attach_perms=True):
        if group.pk != team.group_id:
            remove_perm(APPROVE_PERMISSION, group, service)
    if previous_team and previous_team.pk != team.pk:
        remove_perm(APPROVE_PERMISSION, previous_team.group, service)
    assign_perm(APPROVE_PERMISSION, team.group, service)
