"""Catalog files other than our JSON: Backstage catalog-info.yaml documents."""

from collectors.vendors.ownership import parse_backstage


def catalog_from_backstage(texts: list[str]) -> tuple[dict, list[str]]:
    """A scenario-shaped catalog from Backstage entities: Groups are teams; Components and Resources services.

    Returns the catalog and the problems found (documents skipped, with why).
    """
    entities, problems = [], []
    for text in texts:
        entities.extend(parse_backstage(text, problems))
    teams = {}
    for entity in entities:
        if entity["kind"] == "Group":
            teams[entity["name"]] = {
                "name": entity["name"],
                "members": entity.get("members") or [],
                "oncall": (entity.get("annotations") or {}).get("incidentdesk/oncall", ""),
                "slack_channel": (entity.get("annotations") or {}).get("slack.com/channel", ""),
            }
    services = []
    for entity in entities:
        if entity["kind"] not in ("Component", "Resource"):
            continue
        owner = entity.get("owner") or ""
        teams.setdefault(owner, {"name": owner, "members": []})
        annotations = entity.get("annotations") or {}
        tier = annotations.get("incidentdesk/tier", "3")
        services.append(
            {
                "name": entity["name"],
                "team": owner,
                "tier": int(tier) if str(tier).isdigit() and int(tier) in (1, 2, 3) else 3,
                "repo": annotations.get("github.com/project-slug"),
                "depends_on": entity.get("depends_on") or [],
                "runbook": annotations.get("incidentdesk/runbook"),
                "aliases": [a for a in [annotations.get("pagerduty.com/service-id")] if a],
                "lifecycle": entity.get("lifecycle") or "",
                "description": entity.get("description") or "",
                "annotations": annotations,
            }
        )
    return {"teams": list(teams.values()), "services": services}, problems
