"""Evidence each ground requires (WORKFLOW.md), counting rules, kind names and labels."""

from __future__ import annotations

import pytest

from workflow.evidence import (
    DEFAULT_REQUIREMENTS,
    EvidenceKind,
    GroundRefused,
    Requirement,
    all_kinds,
    first_gap,
    ground_refusal,
    is_requirement_key,
    kind_label,
    kinds_for,
    missing,
    parse_kind,
    requirement_label,
    requirements,
    typed_word,
)
from workflow.i18n import t
from workflow.model import Ground

K = EvidenceKind
LOCALES = ("zh-CN", "en")

# WORKFLOW.md's table, one entry per requirement: key -> (kinds that satisfy it, how many).
SPEC: dict[Ground, dict[str, tuple[set[str], int]]] = {
    Ground.INCOMPETENT: {
        "performance_records": ({"performance"}, 2),
        "remedy": ({"improvement_plan", "training", "job_adjustment"}, 1),
        "remedy_result": ({"improvement_result"}, 1),
        "feedback_conversation": ({"feedback"}, 1),
    },
    Ground.MISCONDUCT: {
        "published_rule": ({"handbook_rule"}, 1),
        "handbook_acknowledgement": ({"handbook_ack"}, 1),
        "incident_records": ({"incident"}, 1),
    },
    Ground.PROBATION: {
        "hiring_conditions": ({"hiring_conditions"}, 1),
        "probation_assessment": ({"probation_assessment"}, 1),
    },
    Ground.ILLNESS: {
        "medical_period_end": ({"medical_period_end"}, 1),
        "unfit_for_work": ({"unfit_for_work"}, 1),
    },
    Ground.CIRCUMSTANCES: {
        "circumstance_change": ({"circumstance_change"}, 1),
        "contract_negotiation": ({"negotiation"}, 1),
    },
    Ground.MUTUAL: {"proposer": ({"proposal"}, 1)},
    Ground.EXPIRY: {
        "fixed_term_contract": ({"contract"}, 1),
        "renewal_decision": ({"renewal_offer"}, 1),
    },
    Ground.RETIREMENT: {"retirement_age": ({"retirement_proof"}, 1)},
    Ground.DERELICTION: {
        "dereliction_records": ({"incident"}, 1),
        "major_damage": ({"damage"}, 1),
    },
    Ground.SECOND_JOB: {
        "other_employment": ({"second_job"}, 1),
        "second_job_effect": ({"second_job_impact"}, 1),
    },
    Ground.FRAUD: {"fraud": ({"fraud_proof"}, 1)},
    Ground.CRIMINAL: {"criminal_liability": ({"criminal_record"}, 1)},
}
CASE_GROUNDS = list(SPEC)


def keys(reqs: tuple[Requirement, ...]) -> list[str]:
    return [r.key for r in reqs]


def complete(ground: Ground) -> list[str]:
    """One evidence kind list that satisfies every requirement of `ground`."""
    return [kind for accepts, count in SPEC[ground].values() for kind in [min(accepts)] * count]


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_requirements_per_ground(ground: Ground) -> None:
    got = {r.key: (set(r.accepts), r.min_count) for r in requirements(ground)}
    assert got == SPEC[ground]


def test_every_case_ground_has_requirements_and_layoff_has_none() -> None:
    assert set(DEFAULT_REQUIREMENTS) == set(Ground) - {Ground.LAYOFF} == set(CASE_GROUNDS)


def test_layoff_is_refused_with_a_pointer_to_hr() -> None:
    refusal = ground_refusal(Ground.LAYOFF)
    assert refusal is not None and refusal.code == "evidence.layoff_refused"
    assert "HR" in t(refusal.code, "en") and "HR" in t(refusal.code, "zh-CN")  # the glossary's word
    assert "41" in t(refusal.code, "en") and "四十一" in t(refusal.code, "zh-CN")
    with pytest.raises(GroundRefused) as raised:
        requirements(Ground.LAYOFF)
    assert raised.value.refusal == refusal
    with pytest.raises(GroundRefused):
        missing(Ground.LAYOFF, [])


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_other_grounds_are_not_refused(ground: Ground) -> None:
    assert ground_refusal(ground) is None


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_nothing_given_everything_missing(ground: Ground) -> None:
    assert missing(ground, []) == requirements(ground)


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_complete_evidence_misses_nothing(ground: Ground) -> None:
    assert missing(ground, complete(ground)) == ()


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_each_requirement_alone_is_reported(ground: Ground) -> None:
    full = complete(ground)
    for req in requirements(ground):
        without = [kind for kind in full if kind not in req.accepts]
        assert keys(missing(ground, without)) == [req.key]


def test_performance_needs_two_periods() -> None:
    rest = ["improvement_plan", "improvement_result", "feedback"]
    assert keys(missing(Ground.INCOMPETENT, ["performance", *rest])) == ["performance_records"]
    assert missing(Ground.INCOMPETENT, ["performance", "performance", *rest]) == ()
    assert missing(Ground.INCOMPETENT, ["performance"] * 3 + rest) == ()


@pytest.mark.parametrize("remedy", ["improvement_plan", "training", "job_adjustment"])
def test_any_remedy_satisfies_the_remedy_slot(remedy: str) -> None:
    kinds = ["performance", "performance", remedy, "improvement_result", "feedback"]
    assert missing(Ground.INCOMPETENT, kinds) == ()


def test_unknown_kinds_and_other_grounds_kinds_do_not_count() -> None:
    assert missing(Ground.PROBATION, ["nonsense", "incident", "performance"]) == requirements(Ground.PROBATION)


def test_missing_keeps_table_order_and_accepts_any_iterable() -> None:
    got = missing(Ground.MISCONDUCT, iter(["handbook_ack"]))
    assert keys(got) == ["published_rule", "incident_records"]


@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_no_kind_fills_two_slots_of_one_ground(ground: Ground) -> None:
    seen: set[str] = set()
    for req in requirements(ground):
        assert req.min_count >= 1
        assert req.accepts <= set(all_kinds())
        assert not req.accepts & seen
        seen |= req.accepts


def test_requirement_keys_are_unique_across_grounds() -> None:
    every = [r.key for reqs in DEFAULT_REQUIREMENTS.values() for r in reqs]
    assert len(every) == len(set(every))
    assert all(is_requirement_key(key) for key in every)
    assert not is_requirement_key("绩效记录")


def test_every_kind_is_required_somewhere() -> None:
    used = set().union(*(r.accepts for reqs in DEFAULT_REQUIREMENTS.values() for r in reqs))
    assert used == set(all_kinds())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_requirement_and_kind_has_a_label(locale: str) -> None:
    for reqs in DEFAULT_REQUIREMENTS.values():
        for req in reqs:
            assert requirement_label(req, locale) == requirement_label(req.key, locale)
            assert requirement_label(req, locale)
    for kind in all_kinds():
        assert kind_label(kind, locale)


def test_labels_differ_per_locale_and_name_the_count() -> None:
    perf = requirements(Ground.INCOMPETENT)[0]
    assert "两个" in requirement_label(perf, "zh-CN")
    assert "2 periods" in requirement_label(perf, "en")
    remedy = requirements(Ground.INCOMPETENT)[1]
    assert requirement_label(remedy, "zh-CN") == "绩效改进计划、培训或调岗记录"
    assert requirement_label(remedy, "en") == "improvement plan, training or job-adjustment record"


def test_all_kinds_lists_the_enum_in_order() -> None:
    assert all_kinds() == tuple(k.value for k in EvidenceKind)
    assert all(isinstance(k, str) and type(k) is str for k in all_kinds())


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("performance", K.PERFORMANCE),
        ("绩效", K.PERFORMANCE),
        ("绩效记录", K.PERFORMANCE),
        ("Performance Record", K.PERFORMANCE),
        ("pip", K.IMPROVEMENT_PLAN),
        ("PIP", K.IMPROVEMENT_PLAN),
        ("改进计划", K.IMPROVEMENT_PLAN),
        ("improvement-plan", K.IMPROVEMENT_PLAN),
        ("  improvement   plan ", K.IMPROVEMENT_PLAN),
        ("improvement_plan", K.IMPROVEMENT_PLAN),
        ("培训", K.TRAINING),
        ("调岗", K.JOB_ADJUSTMENT),
        ("result", K.IMPROVEMENT_RESULT),
        ("反馈", K.FEEDBACK),
        ("员工手册", K.HANDBOOK_RULE),
        ("签收", K.HANDBOOK_ACK),
        ("违纪", K.INCIDENT),
        ("录用条件", K.HIRING_CONDITIONS),
        ("试用期考核", K.PROBATION_ASSESSMENT),
        ("医疗期", K.MEDICAL_PERIOD_END),
        ("unfit", K.UNFIT_FOR_WORK),
        ("客观情况", K.CIRCUMSTANCE_CHANGE),
        ("协商", K.NEGOTIATION),
        ("proposer", K.PROPOSAL),
    ],
)
def test_parse_kind_aliases(text: str, kind: EvidenceKind) -> None:
    assert parse_kind(text) == kind.value


@pytest.mark.parametrize("text", ["", "   ", "salary", "工资", "performance records please"])
def test_parse_kind_unknown(text: str) -> None:
    assert parse_kind(text) is None


@pytest.mark.parametrize("kind", list(EvidenceKind))
def test_every_kind_parses_from_its_value_and_both_labels(kind: EvidenceKind) -> None:
    names = [kind.value, *(kind_label(kind, locale) for locale in LOCALES)]
    assert {parse_kind(name) for name in names} == {kind.value}


def test_parse_kind_returns_plain_strings() -> None:
    assert type(parse_kind("pip")) is str


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("ground", CASE_GROUNDS)
def test_the_word_offered_for_a_kind_is_one_word_that_names_it(ground: Ground, locale: str) -> None:
    # What an unknown-kind refusal offers must work typed as the first word of `evidence`.
    offered = kinds_for(ground)
    assert set(offered) == set().union(*(req.accepts for req in requirements(ground)))
    for kind in offered:
        word = typed_word(kind, locale)
        assert len(word.split()) == 1 and parse_kind(word) == kind


def test_the_first_gap_counts_what_is_in_of_a_slot_of_several() -> None:
    one = first_gap(Ground.INCOMPETENT, ["performance"])
    assert one is not None and (one.number, one.requirement.key, one.have) == (1, "performance_records", 1)
    two = first_gap(Ground.INCOMPETENT, ["performance", "performance"])
    assert two is not None and (two.number, two.requirement.key, two.have) == (2, "remedy", 0)
    every = [kind for req in requirements(Ground.MUTUAL) for kind in sorted(req.accepts)]
    assert first_gap(Ground.MUTUAL, every) is None
