"""Redaction of free text: log messages, error titles, diffs, headers rendered as strings."""

import re

from collectors.redaction.cards import CARD_HINT, redact_cards
from collectors.redaction.rules import AFTER_CARDS, BEFORE_CARDS, Rule

# Most log lines hold none of the rules' literal hints; one search over all of them lets those
# lines skip the per-rule gates. Lowercased, it is a superset of the case-sensitive hints.
_ANY_LITERAL_HINT = re.compile(
    "|".join(sorted({re.escape(hint.lower()) for rule in BEFORE_CARDS + AFTER_CARDS for hint in rule.hints}))
)


def _apply(rule: Rule, text: str, found: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        replacement = rule.replace(match)
        if replacement is None:
            return match.group(0)
        found.add(rule.kind)
        return replacement

    return rule.pattern.sub(replace, text)


def _run(rules: tuple[Rule, ...], text: str, lower: str, has_literal_hint: bool, found: set[str]) -> str:
    for rule in rules:
        if rule.hint_re is None and not has_literal_hint:
            continue
        if rule.may_match(text, lower):
            text = _apply(rule, text, found)
    return text


def redact_text(text: str) -> tuple[str, frozenset[str]]:
    """Replace each sensitive value with `[REDACTED:<kind>]`; return the text and the kinds found.

    Markers already in the text are left alone, so redacting twice changes nothing more.
    """
    if not text:
        return text, frozenset()
    found: set[str] = set()
    # `lower` is the input's: a gate passed on text since redacted only costs a regex run, and
    # markers cannot satisfy any rule (their kind is followed by "]", never by "=" or ":").
    lower = text.lower()
    has_literal_hint = _ANY_LITERAL_HINT.search(lower) is not None
    text = _run(BEFORE_CARDS, text, lower, has_literal_hint, found)
    if CARD_HINT.search(text):
        text, had_card = redact_cards(text)
        if had_card:
            found.add("card")
    text = _run(AFTER_CARDS, text, lower, has_literal_hint, found)
    return text, frozenset(found)
