"""Words that tie a change's description to a failure's text: distinctive words both use.

A calendar entry "upgrade 3.6.11 -> 3.6.12 (reworked failover elections, pre-vote v2)" and
a database's "election failed: pre-vote timed out" share "election" and "pre-vote": two
distinctive words, or one version number, are a content link however old the change is.
"""

import re

_TOKEN = re.compile(r"\d+(?:\.\d+){2,}|[a-z][a-z0-9_.-]*[a-z0-9]")
_VERSION = re.compile(r"\d+(?:\.\d+){2,}")
# Words every operations log uses: they tie nothing to anything.
GENERIC = frozenset(
    (
        "error errors failed failure failures timeout timed request requests response service services "
        "server servers cluster clusters node nodes host hosts rollout release update updated change "
        "changes changed started starting start finished complete completed running process healthy "
        "health check checks write writes read reads waiting warning critical after before while "
        "because cannot could would should every other their there these those which where about "
        "still again since until within without first second third phase phased final minor major "
        "window maintenance scheduled planned traffic users customers production staging prod"
    ).split()
)


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 5 else word


def distinctive_words(text: str) -> set[str]:
    out: set[str] = set()
    for token in _TOKEN.findall(text.lower()):
        token = token.strip("._-")
        if _VERSION.fullmatch(token):
            out.add(token)
        elif len(token) >= 5 and not any(c.isdigit() for c in token) and token not in GENERIC:
            out.add(_stem(token))
    return out


def tied(change_text: str, failure_text: str, ignore: set[str] = frozenset()) -> set[str]:
    """The distinctive words a change's text and a failure's text share, when they are enough
    to tie them: a version number, or two words; else an empty set."""
    shared = distinctive_words(change_text) & distinctive_words(failure_text)
    shared -= {_stem(w.lower()) for w in ignore}
    if any(_VERSION.fullmatch(w) for w in shared) or len(shared) >= 2:
        return shared
    return set()
