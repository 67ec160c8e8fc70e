"""Which way dependencies point (DESIGN.md), read from the import statements of every module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("incidentdesk", "collectors", "approvals")


def modules(package: str) -> list[Path]:
    return [p for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts]


def imports(path: Path) -> list[tuple[str, ast.AST, list[ast.AST]]]:
    """(imported module, the import node, the functions and classes around it) for every import."""
    found = []

    def walk(node: ast.AST, around: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, child, around))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, child, around) for alias in child.names)
            inner = around + [child] if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else around
            walk(child, inner)

    walk(ast.parse(path.read_text()), [])
    return found


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def offending(package: str, rule) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {module}"
        for path in modules(package)
        for module, node, _ in imports(path)
        if rule(path, module)
    ]


def test_the_core_does_not_import_the_approvals_app():
    assert offending("incidentdesk", lambda path, module: under(module, "approvals")) == []


def test_collectors_import_only_the_http_client_and_the_models_from_the_core():
    def rule(path, module):
        if under(module, "approvals"):
            return True
        return under(module, "incidentdesk") and not under(module, "incidentdesk.http", "incidentdesk.models")

    assert offending("collectors", rule) == []


def test_the_http_client_is_a_leaf():
    found = [m for m, _, _ in imports(ROOT / "incidentdesk" / "http.py") if under(m, *PACKAGES)]
    assert found == []


def test_intake_knows_nothing_of_connectors_analysis_or_approvals():
    def rule(path, module):
        if "intake" not in path.parts:
            return False
        if under(module, "collectors"):
            return not under(module, "collectors.redaction")
        return under(module, "incidentdesk.analysis", "approvals")

    assert offending("incidentdesk", rule) == []


def test_the_analysis_is_plain_functions_over_plain_data():
    """It reads normalised evidence and the typed policy; nothing of the database, vendors or tasks."""
    def rule(path, module):
        if "analysis" not in path.parts:
            return False
        return under(module, "django", "httpx", "celery", "collectors", "approvals") or (
            under(module, "incidentdesk") and not under(module, "incidentdesk.analysis", "incidentdesk.policy", "incidentdesk.action_labels")
        )

    assert offending("incidentdesk", rule) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_level_import_of_the_desks_own_modules(package):
    """A function-level import would hide a cycle; AppConfig.ready is where Django registers checks."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {module} inside {around[-1].name}"
        for path in modules(package)
        for module, node, around in imports(path)
        if around and under(module, *PACKAGES) and around[-1].name != "ready"
    ]
    assert found == []
