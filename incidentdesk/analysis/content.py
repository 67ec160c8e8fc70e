"""Content lines of evidence: does a change touch the code path that is failing?

Compares what a pull request changed (file paths, functions in hunk headers and
definitions, distinctive identifiers on changed lines) with the footprint of the
new failure (error frames, culprits, titles, new error log templates).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HUNK_FUNC = re.compile(r"^@@[^@]*@@\s*(?:async\s+)?(?:def|class|function|func|fn)?\s*([A-Za-z_][\w]*)", re.M)
_DEF = re.compile(r"^[+-]\s*(?:async\s+)?(?:def|class|function|func|fn)\s+([A-Za-z_]\w*)", re.M)
_CAMEL = re.compile(r"[a-z][A-Z]")
STOPWORDS = frozenset(
    (
        "self none true false return import from class def function const async await test tests with "
        "pass raise elif else print then this that data value values item items error errors exception "
        "request response string object dict list type http https"
    ).split()
    # Built-in exception names say what broke, not where.
    + (
        "keyerror typeerror valueerror attributeerror indexerror runtimeerror memoryerror timeouterror "
        "readtimeout connectionerror notimplementederror assertionerror"
    ).split()
)
_DOC_OR_CI = re.compile(
    r"(^|/)(docs?|\.github|\.circleci|tests?|spec|__tests__)/|(^|/)(readme|changelog|license|codeowners)[^/]*$"
    r"|\.(md|rst|txt|adoc)$|(^|/)test_[^/]*$|_test\.\w+$|\.(spec|test)\.\w+$"
    r"|(^|/)(\.pre-commit-config|\.editorconfig|ruff|setup\.cfg|tox\.ini|\.flake8|mypy\.ini)[^/]*$",
    re.I,
)


def is_doc_or_ci(path: str) -> bool:
    return bool(_DOC_OR_CI.search(path))


def path_tokens(path: str) -> set[str]:
    """`checkout/pricing/engine_v2.py` -> {checkout, pricing, engine_v2, engine, v2}."""
    out: set[str] = set()
    for part in re.split(r"[/\\.\s:]+", path.lower()):
        if not part or part in ("py", "js", "ts", "tsx", "go", "rb", "java"):
            continue
        out.add(part)
        out.update(p for p in re.split(r"[_-]+", part) if p)
    return out


def distinctive_identifiers(text: str) -> set[str]:
    """Identifiers specific enough to link a diff to an error: snake_case or camelCase, 6+ chars."""
    found = set()
    for word in _WORD.findall(text):
        if len(word) < 6 or word.lower() in STOPWORDS:
            continue
        if "_" in word.strip("_") or _CAMEL.search(word):
            found.add(word.lower())
    return found


def change_name(pr: dict) -> str:
    """How a change is named to people: `PR 4821`, or `1a2b3c4...5d6e7f8` for a deploy that had no PR."""
    if pr.get("number") is not None or not pr.get("compare"):
        return f"PR {pr.get('number')}"
    base, _, head = str(pr["compare"]).partition("...")
    return f"{base[:7]}...{head[:7]}"


def change_key(pr: dict) -> str:
    """A pull_requests record's key: its PR number, or its compare span when it has none."""
    number = pr.get("number")
    return str(number) if number is not None else f"compare:{pr.get('compare') or ''}"


def deploy_change_key(deploy: dict, changes: Mapping[str, dict]) -> str | None:
    """The key in `changes` (by change_key) of what a deploy shipped: its PR, or, for a deploy
    without one, the compare record naming that deploy, or else ending at its sha."""
    number = deploy.get("pull_request")
    if number is not None:
        return str(number)
    deploy_id, sha = str(deploy.get("id") or ""), str(deploy.get("sha") or "")
    by_sha = None
    for key, pr in changes.items():
        if pr.get("number") is not None or not pr.get("compare"):
            continue
        if pr.get("deploy") is not None:
            if str(pr["deploy"]) == deploy_id:
                return key
        elif sha and str(pr["compare"]).partition("...")[2] == sha:
            by_sha = by_sha or key
    return by_sha


@dataclass(frozen=True)
class ChangeSummary:
    number: str
    files: tuple[str, ...]
    code_files: tuple[str, ...]  # not docs, CI or tests
    functions: frozenset[str]
    identifiers: frozenset[str]
    patch_text: str
    title: str
    name: str = ""  # `PR 4821`, or the short compare span of a deploy without a PR
    owners: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (path, its code owners) where known

    @property
    def docs_only(self) -> bool:
        return bool(self.files) and not self.code_files

    def owners_of(self, path: str) -> tuple[str, ...]:
        return next((found for p, found in self.owners if p == path), ())


def summarise_change(pr: dict) -> ChangeSummary:
    files = [f for f in pr.get("files") or [] if isinstance(f, dict)]
    paths = tuple(str(f.get("path") or "") for f in files)
    patches = "\n".join(str(f.get("patch") or "") for f in files)
    changed_lines = "\n".join(line for line in patches.splitlines() if line[:1] in "+-")
    functions = {
        m.lower()
        for m in _HUNK_FUNC.findall(patches) + _DEF.findall(patches)
        if len(m) >= 5 and m.lower() not in STOPWORDS
    }
    owners = tuple(
        (str(f.get("path") or ""), tuple(str(o) for o in f["owners"]))
        for f in files
        if isinstance(f.get("owners"), list) and f["owners"]
    )
    return ChangeSummary(
        number=str(pr.get("number") or ""),
        files=paths,
        code_files=tuple(p for p in paths if not is_doc_or_ci(p)),
        functions=frozenset(functions),
        identifiers=frozenset(distinctive_identifiers(changed_lines)),
        patch_text=patches,
        title=str(pr.get("title") or ""),
        name=change_name(pr),
        owners=owners,
    )


@dataclass
class Footprint:
    """What the new failure looks like in code terms."""

    files: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # path and module parts
    identifiers: set[str] = field(default_factory=set)  # from titles, messages, templates

    def add_frame(self, filename: str, function: str) -> None:
        if filename:
            self.files.add(filename.lower().lstrip("./"))
            self.tokens |= path_tokens(filename)
        if function and len(function) >= 5 and function.lower() not in STOPWORDS:
            self.functions.add(function.lower())
            self.tokens.add(function.lower())

    def add_culprit(self, culprit: str) -> None:
        # Sentry culprits read "package.module in function".
        module, _, function = culprit.partition(" in ")
        self.tokens |= path_tokens(module.replace(".", "/"))
        if function:
            self.add_frame("", function.strip())

    def add_text(self, text: str) -> None:
        self.identifiers |= distinctive_identifiers(text)

    @property
    def empty(self) -> bool:
        return not (self.files or self.functions or self.identifiers)


def _same_file(a: str, b: str) -> bool:
    a, b = a.lower().lstrip("./"), b.lower().lstrip("./")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def failing_files(change: ChangeSummary, footprint: Footprint) -> list[str]:
    """Code files of the change that appear in the failing stack."""
    return [p for p in change.code_files if any(_same_file(p, f) for f in footprint.files)]


def change_matches(change: ChangeSummary, footprint: Footprint) -> list[str]:
    """Reasons the change touches the failing path, most specific first (empty: no link)."""
    reasons: list[str] = []
    files = failing_files(change, footprint)
    if files:
        reasons.append(f"changed {', '.join(sorted(files)[:2])}, which is in the failing stack")
    functions = sorted(change.functions & footprint.functions)
    if functions:
        reasons.append(f"changed {', '.join(functions[:2])}()")
    shared = sorted(change.identifiers & footprint.identifiers)
    if shared:
        reasons.append(f"changed code around {', '.join(shared[:2])}, named in the errors")
    return reasons


FLAG_STOPWORDS = frozenset(
    (
        "new old enable enabled disable disabled flag flags use beta alpha rollout kill switch toggle the "
        "and for with on off v1 v2 v3 experiment exp"
    ).split()
)


def flag_tokens(key: str) -> set[str]:
    tokens = {t for t in re.split(r"[-_.:/\s]+", key.lower()) if len(t) >= 3 and t not in FLAG_STOPWORDS}
    # `streaming` names the code in `stream/`.
    return {t[:-3] if t.endswith("ing") and len(t) > 6 else t for t in tokens}


def flag_matches(key: str, footprint: Footprint, changes: list[ChangeSummary]) -> list[str]:
    """Reasons a flag is tied to the failing code: its name names the failing module,
    or a change that added the flag check also touched the failing files."""
    reasons: list[str] = []
    tokens = flag_tokens(key)
    hits = tokens & footprint.tokens
    if tokens and len(hits) >= min(2, len(tokens)):
        reasons.append(f"flag name matches the failing code ({', '.join(sorted(hits))})")
    for change in changes:
        if key and key in change.patch_text:
            linked = [p for p in change.code_files if any(_same_file(p, f) for f in footprint.files)]
            if linked:
                reasons.append(f"{change.name} gates {linked[0]} behind this flag")
                break
    return reasons


_MIGRATION_PATH = re.compile(r"(^|/)(migrations?|migrate|db/migrate|alembic|schema)/|\.sql$", re.I)
_DESTRUCTIVE = re.compile(
    r"RemoveField|DeleteModel|RenameField|RenameModel|drop_column|drop_table|rename_column|remove_column"
    r"|\bDROP\s+(COLUMN|TABLE|INDEX|CONSTRAINT)\b|\bALTER\s+TABLE\b[^;]*\bDROP\b|\bRENAME\s+(COLUMN|TO)\b"
    r"|\bTRUNCATE\b|\bDELETE\s+FROM\b",
    re.I,
)
_BACKFILL = re.compile(r"RunPython|RunSQL|\bUPDATE\s+\w+\s+SET\b|backfill", re.I)
_IRREVERSIBLE = re.compile(r"irreversible|cannot be (rolled back|reversed)|not reversible|one-way", re.I)


def rollback_hazard(pr: dict) -> str | None:
    """Why rolling back past this change would do harm, or None."""
    title = str(pr.get("title") or "")
    name = change_name(pr)
    for f in pr.get("files") or []:
        path = str(f.get("path") or "")
        patch = str(f.get("patch") or "")
        added = "\n".join(line[1:] for line in patch.splitlines() if line.startswith("+"))
        if _MIGRATION_PATH.search(path):
            if _DESTRUCTIVE.search(added):
                file = path.rsplit("/", 1)[-1]
                return f"{name} runs a destructive migration ({file}); the previous code would break"
            if _BACKFILL.search(added):
                file = path.rsplit("/", 1)[-1]
                return f"{name} runs a data migration ({file}) that a rollback does not undo"
        if _IRREVERSIBLE.search(added):
            return f"{name} is marked irreversible ({path})"
    if _IRREVERSIBLE.search(title):
        return f"{name} is marked irreversible"
    return None
