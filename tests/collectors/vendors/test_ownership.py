from pathlib import Path

import pytest

from collectors.vendors.ownership import owners_for, parse_backstage

FIXTURES = Path(__file__).parent / "fixtures"


def test_it_reads_the_entities_of_a_multi_document_catalog():
    problems: list[str] = []

    entities = parse_backstage((FIXTURES / "ownership_catalog-info.yaml").read_text(), problems)

    assert entities == [
        {
            "kind": "Component",
            "name": "billing-webhooks",
            "namespace": "default",
            "owner": "payments-platform",
            "lifecycle": "production",
            "depends_on": ["customers-api", "billing-db"],
            "annotations": {
                "github.com/project-slug": "acme/billing-webhooks",
                "pagerduty.com/service-id": "PBILLNG",
            },
            "system": "payments",
            "description": "Receives payment provider webhooks.",
            "type": "service",
            "members": [],
        },
        {
            "kind": "Resource",
            "name": "billing-db",
            "namespace": "default",
            "owner": "payments-platform",
            "lifecycle": None,
            "depends_on": [],
            "annotations": {},
            "system": "payments",
            "description": None,
            "type": "database",
            "members": [],
        },
        {
            "kind": "System",
            "name": "payments",
            "namespace": "default",
            "owner": "payments-platform",
            "lifecycle": None,
            "depends_on": [],
            "annotations": {},
            "system": None,
            "description": "Money in, money out.",
            "type": None,
            "members": [],
        },
        {
            "kind": "Group",
            "name": "payments-platform",
            "namespace": "default",
            "owner": None,
            "lifecycle": None,
            "depends_on": [],
            "annotations": {},
            "system": None,
            "description": None,
            "type": "team",
            "members": ["ana", "ben"],
        },
        {
            "kind": "Component",
            "name": "customers-api",
            "namespace": "accounts",
            "owner": "user:ana",
            "lifecycle": "experimental",
            "depends_on": [],
            "annotations": {"backstage.io/techdocs-ref": "dir:."},
            "system": None,
            "description": None,
            "type": "service",
            "members": [],
        },
    ]
    assert len(problems) == 3
    assert problems[0].startswith("document 6: not YAML")
    assert problems[1] == "document 7: Component without metadata.name"
    assert problems[2] == "document 8: Component broken-deps: dependsOn is not a list of entity refs"


def test_it_skips_other_kinds_without_calling_them_problems():
    problems: list[str] = []
    text = "kind: API\nmetadata:\n  name: billing-api\nspec:\n  type: openapi\n"

    assert parse_backstage(text, problems) == []
    assert problems == []


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("group:default/payments", "payments"),
        ("group:payments", "payments"),
        ("payments", "payments"),
        ("default/payments", "payments"),
        ("group:finance/payments", "finance/payments"),
        ("user:default/ana", "user:ana"),
    ],
)
def test_owner_refs_lose_the_implied_group_kind_and_default_namespace(owner, expected):
    text = f"kind: Component\nmetadata:\n  name: x\nspec:\n  owner: {owner}\n"

    assert parse_backstage(text)[0]["owner"] == expected


def test_a_non_mapping_document_is_a_problem():
    problems: list[str] = []

    assert parse_backstage("- just\n- a list\n", problems) == []
    assert problems == ["document 1: not a mapping"]


CODEOWNERS = """\
# Default owners
*                       @acme/platform
*.sql                   @acme/dba
/src/billing/           @acme/payments @ana
/src/billing/parsers/   @acme/parsers ben@example.com
docs/*                  @acme/writers
/src/billing/vendor/
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@acme/platform"]),
        ("db/migrations/0042.sql", ["@acme/dba"]),
        ("src/billing/webhooks.py", ["@acme/payments", "@ana"]),
        ("/src/billing/parsers/stripe.py", ["@acme/parsers", "ben@example.com"]),
        # A later, broader rule still wins over an earlier narrower one.
        ("src/billing/schema.sql", ["@acme/payments", "@ana"]),
        ("docs/runbook.md", ["@acme/writers"]),
        ("docs/deep/runbook.md", ["@acme/platform"]),
        # A pattern with no owners leaves the path unowned.
        ("src/billing/vendor/lib.py", []),
    ],
)
def test_owners_for_takes_the_last_matching_rule(path, owners):
    assert owners_for(CODEOWNERS, path) == owners


def test_owners_for_with_no_matching_rule_is_empty():
    assert owners_for("/api/ @acme/api\n", "web/index.html") == []
