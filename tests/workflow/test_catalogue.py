"""The message catalogues (workflow/locales/*.json) match the code: every key the code uses exists in
every locale, no catalogue key is unused, and each key takes the same {placeholders} in every language.

Keys are collected statically: dotted string literals in the code and templates, and the computed key
families (f"state.{state}" …) enumerated from the enums and tables that produce them.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest

from workflow.commands import COMMANDS, Audience
from workflow.compliance.facts import UNION_STATUSES, Pre2008Rounding, Proposer, Protection, RenewalOffer
from workflow.compliance.findings import Level
from workflow.compliance.retirement import RetirementCategory
from workflow.digest import REASONS
from workflow.evidence import DEFAULT_REQUIREMENTS, EvidenceKind
from workflow.handover import default_template
from workflow.i18n import LOCALES, load_catalogues
from workflow.model import Ground, Outcome, Party, State, Trigger
from workflow.policy import TimerAction
from workflow.signing_rules import LinkState

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "workflow")
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_\-]+)+$")
# A template's t('key') or t("key"), and t('prefix.' ~ value) for a computed key.
TEMPLATE_KEY = re.compile(r"""\bt\(\s*(['"])([^'"]+)\1(\s*~)?""")

# Dotted literals in a text namespace that are not text keys.
NOT_KEYS = frozenset({
    "page.html",  # the signing page's template file
    "wecom.fetch_media", "wecom.update_card",  # outbound call names in logs
})


def _values(*groups: Iterable[object]) -> frozenset[str]:
    return frozenset(str(v) for group in groups for v in group)


@dataclass(frozen=True)
class Family:
    """Keys computed from a pattern: `closed` values must all have texts; when `open`, values also
    arrive as data (audit actions, finding codes …), so a key counts as used if its value is a word
    somewhere in the code."""

    pattern: str
    closed: frozenset[str] = frozenset()
    open: bool = False

    def regex(self) -> re.Pattern[str]:
        head, _, tail = self.pattern.partition("{}")
        return re.compile(re.escape(head) + r"([^.]*)" + re.escape(tail))

    def members(self) -> frozenset[str]:
        return frozenset(self.pattern.replace("{}", value) for value in self.closed)


GROUNDS = _values(Ground)
FAMILIES = (
    Family("state.{}", _values(State)),
    Family("outcome.{}", _values(Outcome)),
    # Buttons, timeline entries and reminders: triggers and timer actions, plus audit-only actions.
    Family("action.{}", _values(Trigger, TimerAction), open=True),
    # An event's own words where a button's would read wrong in a timeline ("Add evidence").
    Family("h.timeline.action.{}", _values(["evidence"]), open=True),
    Family("policy.{}", _values(TimerAction)),
    Family("machine.party.{}", _values(Party)),
    Family("evidence.kind.{}", _values(EvidenceKind), open=True),
    Family("evidence.req.{}", _values(r.key for reqs in DEFAULT_REQUIREMENTS.values() for r in reqs)),
    Family("handover.{}", _values(item.key for item in default_template())),
    Family("h.ground.{}", GROUNDS),
    Family("h.article.{}", GROUNDS),
    Family("card.ground.{}", GROUNDS),
    Family("compliance.ground.{}", GROUNDS),
    Family("compliance.level.{}", _values(Level)),
    Family("compliance.protected.{}", _values(Protection)),
    Family("compliance.expiry_extended.{}", _values(Protection)),
    Family("compliance.line.service_pre2008.{}", _values(Pre2008Rounding)),
    Family("slack.protection.{}", _values(Protection, ["none"])),  # "none": an answer
    Family("slack.choice.{}", _values(get_args(Proposer), RetirementCategory, UNION_STATUSES, ["notified"],
                                      RenewalOffer)),
    Family("doc.agreement.proposer.{}", _values(get_args(Proposer), [""])),  # "": not recorded
    Family("router.form.{}", _values(c.name for c in COMMANDS)),
    Family("router.about.{}", _values(c.name for c in COMMANDS)),
    Family("router.usage.{}", _values((c.name for c in COMMANDS), ["help"])),
    Family("router.help.{}", _values(Audience)),
    Family("page.{}.title", _values(s for s in LinkState if s is not LinkState.VALID)),
    Family("page.{}.text", _values(s for s in LinkState if s is not LinkState.VALID)),
    Family("page.lang.{}", _values(LOCALES)),
    Family("h.digest.reason.{}", _values(REASONS)),
    # Codes written where they are raised (findings, invalid facts, errors, inputs, statuses).
    Family("compliance.{}", open=True),
    Family("compliance.deadline.{}", open=True),
    Family("compliance.invalid.{}", open=True),
    Family("compliance.law.{}", open=True),
    Family("compliance.line.{}", open=True),
    Family("cli.settlement.error.{}", open=True),
    Family("document.title.{}", open=True),
    Family("h.timeline.{}", open=True),
    Family("signing.status.{}", open=True),
    Family("slack.fact.{}", open=True),
    Family("h.fact_why.{}", open=True),
    Family("wecom.done.{}", open=True),
    Family("router.missing_arg.{}", open=True),
    Family("card.input.{}", open=True),
    Family("card.confirm.{}", open=True),
)


@dataclass(frozen=True, repr=False)
class CodeTexts:
    """What the code says about texts."""

    literals: frozenset[str]  # dotted string literals that look like keys
    called: frozenset[str]  # literal first arguments of t(...)
    patterns: frozenset[str]  # computed keys, e.g. "state.{}" for f"state.{case.state}"
    words: frozenset[str]  # every word inside any string literal but a docstring

    def __repr__(self) -> str:
        return f"CodeTexts({len(self.literals)} literal keys, {len(self.patterns)} computed)"


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def scan(root: Path = ROOT) -> CodeTexts:
    literals: set[str] = set()
    called: set[str] = set()
    patterns: set[str] = set()
    words: set[str] = set()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text("utf-8"))
            fragments = set()
            docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    fragments.update(id(v) for v in node.values)
                    patterns.add(_pattern(node))
                elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args
                      and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    called.add(node.args[0].value)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    words.update(re.findall(r"[A-Za-z0-9_\-]+", node.value))
                    if id(node) not in fragments and KEY.match(node.value):
                        literals.add(node.value)
    for path in sorted((root / "bot" / "templates").rglob("*")):
        if path.is_file():
            for match in TEMPLATE_KEY.finditer(path.read_text("utf-8")):
                (patterns if match[3] else called).add(match[2] + ("{}" if match[3] else ""))
    return CodeTexts(frozenset(literals | called), frozenset(called), frozenset(patterns), frozenset(words))


def _namespace(key: str) -> str:
    return key.split(".", 1)[0]


def missing_keys(keys: frozenset[str], code: CodeTexts) -> set[str]:
    """Keys the code uses that the catalogue lacks."""
    namespaces = {_namespace(k) for k in keys}
    used = {k for k in code.literals if _namespace(k) in namespaces} | set(code.called)
    used |= {k for family in FAMILIES for k in family.members()}
    return used - keys - NOT_KEYS


def _reached(key: str, code: CodeTexts) -> bool:
    for family in FAMILIES:
        match = family.regex().fullmatch(key)
        if match and (match[1] in family.closed or (family.open and match[1] in code.words)):
            return True
    return False


def unused_keys(keys: frozenset[str], code: CodeTexts) -> set[str]:
    """Catalogue keys nothing in the code can reach."""
    return {key for key in keys - code.literals if not _reached(key, code)}


def unenumerated_patterns(keys: frozenset[str], code: CodeTexts) -> set[str]:
    """Computed keys in a text namespace with no family here to enumerate them."""
    namespaces = {_namespace(k) for k in keys}
    known = {family.pattern for family in FAMILIES}
    return {p for p in code.patterns if KEY.match(p.replace("{}", "x")) and _namespace(p) in namespaces} - known


def placeholders(text: str) -> set[str]:
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text)
            if field is not None}


CATALOGUES = load_catalogues()
KEYS = frozenset(CATALOGUES["zh-CN"])
CODE = scan()


def test_every_locale_has_the_same_keys() -> None:
    for locale in LOCALES:
        assert set(CATALOGUES[locale]) == KEYS, set(CATALOGUES[locale]) ^ KEYS


def test_every_key_the_code_uses_exists() -> None:
    assert not missing_keys(KEYS, CODE)


def test_no_catalogue_key_is_unused() -> None:
    assert not unused_keys(KEYS, CODE)


def test_every_computed_key_is_enumerated() -> None:
    assert not unenumerated_patterns(KEYS, CODE)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_key_takes_the_same_placeholders_in_every_locale(key: str) -> None:
    first, *others = (placeholders(CATALOGUES[locale][key]) for locale in LOCALES)
    for other in others:
        assert other == first


def test_no_text_is_empty() -> None:
    assert all(text.strip() for catalogue in CATALOGUES.values() for text in catalogue.values())


def test_usage_lines_agree_with_the_help_listing() -> None:
    for command in COMMANDS:
        for locale in LOCALES:
            line = CATALOGUES[locale][f"router.usage.{command.name}"]
            assert CATALOGUES[locale][f"router.form.{command.name}"] in line
            assert CATALOGUES[locale][f"router.about.{command.name}"] in line


def test_the_catalogue_files_are_sorted_and_readable() -> None:
    for locale in LOCALES:
        path = ROOT / "workflow" / "locales" / f"{locale}.json"
        text = path.read_text("utf-8")
        assert list(CATALOGUES[locale]) == sorted(CATALOGUES[locale])
        assert "\\u" not in text  # Chinese is written as itself, not escaped


# The checks themselves must be able to fail.

def _with(code: CodeTexts, **extra: Iterable[str]) -> CodeTexts:
    return CodeTexts(**{name: getattr(code, name) | frozenset(extra.get(name, ())) for name in
                        ("literals", "called", "patterns", "words")})


def test_a_key_used_in_code_but_missing_is_found() -> None:
    code = _with(CODE, literals={"home.nonexistent"}, called={"typo_namespace.title"})
    found = missing_keys(KEYS, code) - missing_keys(KEYS, CODE)
    assert found == {"home.nonexistent", "typo_namespace.title"}


def test_a_family_member_without_text_is_found() -> None:
    assert missing_keys(KEYS - {"state.hr_review"}, CODE) - missing_keys(KEYS, CODE) == {"state.hr_review"}


def test_an_unused_key_is_found() -> None:
    found = unused_keys(KEYS | {"home.never_shown", "state.no_such_state"}, CODE) - unused_keys(KEYS, CODE)
    assert found == {"home.never_shown", "state.no_such_state"}


def test_a_computed_key_without_a_family_is_found() -> None:
    found = unenumerated_patterns(KEYS, _with(CODE, patterns={"home.{}.title"}))
    assert found - unenumerated_patterns(KEYS, CODE) == {"home.{}.title"}


def test_a_catalogue_lacking_a_key_fails_to_load(tmp_path: Path) -> None:
    (tmp_path / "zh-CN.json").write_text('{"a.b": "甲", "a.c": "乙"}', "utf-8")
    (tmp_path / "en.json").write_text('{"a.b": "A"}', "utf-8")
    with pytest.raises(ValueError, match=r"en\.json lacks \[.a\.c.\]"):
        load_catalogues(tmp_path)


def test_a_placeholder_missing_in_one_language_is_seen() -> None:
    assert placeholders("案件 {ref}") != placeholders("Case {ref} at {when:%H:%M}")

