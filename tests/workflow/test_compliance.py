"""PRC compliance rules: grounds, Art. 42 protections, probation, procedure, deadlines, reference data."""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from workflow.compliance import (
    BadReferenceData,
    CaseFacts,
    InvalidFacts,
    Level,
    Protection,
    ReferenceData,
    UnknownJurisdiction,
    cite,
    get_jurisdiction,
)
from workflow.i18n import has
from workflow.model import Ground

ROOT = Path(__file__).resolve().parents[2]
CN = get_jurisdiction("cn")
G = Ground
ARTICLE_42_ITEM = {
    Protection.OCCUPATIONAL_EXPOSURE: "LCL Art. 42(1)",
    Protection.OCCUPATIONAL_DISEASE: "LCL Art. 42(2)",
    Protection.WORK_INJURY: "LCL Art. 42(2)",
    Protection.MEDICAL_PERIOD: "LCL Art. 42(3)",
    Protection.PREGNANT: "LCL Art. 42(4)",
    Protection.MATERNITY: "LCL Art. 42(4)",
    Protection.NURSING: "LCL Art. 42(4)",
    Protection.NEAR_RETIREMENT: "LCL Art. 42(5)",
}


def facts(ground: Ground = G.CIRCUMSTANCES, **extra) -> CaseFacts:
    base = {"hired": date(2020, 1, 1), "last_day": date(2024, 6, 30), "avg_wage": D(10000),
            "local_avg": D(12000)}
    return CaseFacts(ground=ground, **{**base, **extra})


def by_code(assessment, code: str):
    return next((f for f in assessment.findings if f.code == code), None)


def blocking(assessment) -> list[tuple[str, str]]:
    return [(f.code, f.article) for f in assessment.findings if f.level == Level.BLOCKING]


# --- public vectors T5, T8, T9 --------------------------------------------------------------


def test_t5_summary_dismissal_no_notice_no_money_but_certificate():
    a = CN.assess(facts(G.MISCONDUCT))
    assert a.article == "LCL Art. 39(2)" and not a.blocked
    assert a.settlement.compensation == 0 and a.settlement.pay_in_lieu == 0
    assert a.notice.days == 0 and not a.notice.pay_in_lieu_allowed
    assert by_code(a, "summary_dismissal").level == Level.INFO
    certificate = by_code(a, "certificate_required")
    assert certificate.article == "LCL Art. 50; Regs Art. 24"
    assert "certificate" in certificate.message("en") and "证明书" in certificate.message("zh-CN")
    due = {d.code: d.due for d in CN.deadlines(date(2024, 6, 30))}
    assert due["certificate"] == date(2024, 6, 30)


def test_t8_maternity_blocks_article_40_but_not_36_or_39():
    on_leave = facts(G.CIRCUMSTANCES, protections=frozenset({Protection.MATERNITY}))
    a = CN.assess(on_leave)
    assert a.blocked and blocking(a) == [("protected.maternity", "LCL Art. 42(4)")]
    assert G.MUTUAL in a.allowed_grounds and G.MISCONDUCT in a.allowed_grounds
    assert not {G.CIRCUMSTANCES, G.ILLNESS, G.INCOMPETENT, G.LAYOFF} & set(a.allowed_grounds)
    for ground in (G.MUTUAL, G.MISCONDUCT):
        assert not CN.assess(replace(on_leave, ground=ground)).blocked


def test_t9_probation_blocks_article_40_3():
    a = CN.assess(facts(G.CIRCUMSTANCES, in_probation=True))
    assert a.blocked and blocking(a) == [("probation_ground", "LCL Art. 21")]
    assert {G.PROBATION, G.MISCONDUCT, G.ILLNESS, G.INCOMPETENT} <= set(a.allowed_grounds)
    assert G.CIRCUMSTANCES not in a.allowed_grounds


@pytest.mark.parametrize("ground", [G.PROBATION, G.MISCONDUCT, G.ILLNESS, G.INCOMPETENT])
def test_t9_allowed_probation_grounds_need_written_reasons(ground):
    without = CN.assess(facts(ground, in_probation=True))
    assert not without.blocked
    warning = by_code(without, "written_reasons")
    assert warning.level == Level.WARNING and warning.article == "LCL Art. 21"
    with_reasons = CN.assess(facts(ground, in_probation=True, written_reasons=True))
    assert by_code(with_reasons, "written_reasons") is None


# --- grounds --------------------------------------------------------------------------------


@pytest.mark.parametrize("protection", list(Protection))
def test_every_protection_blocks_articles_40_and_41_with_its_item(protection):
    # Art. 42(5) needs 15 years' service, which the hire date alone can rule out.
    hired = {"hired": date(2008, 1, 1)} if protection == Protection.NEAR_RETIREMENT else {}
    for ground in (G.ILLNESS, G.INCOMPETENT, G.CIRCUMSTANCES):
        a = CN.assess(facts(ground, protections=frozenset({protection}), **hired))
        assert blocking(a) == [(f"protected.{protection}", ARTICLE_42_ITEM[protection])]
    for ground in (G.MUTUAL, G.MISCONDUCT):
        assert not CN.assess(facts(ground, protections=frozenset({protection}))).blocked


def test_several_protections_each_cited():
    a = CN.assess(facts(protections=frozenset({Protection.NURSING, Protection.MEDICAL_PERIOD})))
    assert sorted(article for _, article in blocking(a)) == ["LCL Art. 42(3)", "LCL Art. 42(4)"]


def test_layoff_is_refused_for_a_single_case():
    a = CN.assess(facts(G.LAYOFF))
    assert a.blocked and ("layoff_single_case", "LCL Art. 41") in blocking(a)
    assert G.LAYOFF not in a.allowed_grounds
    assert "Art. 41" in by_code(a, "layoff_single_case").message("en")


def test_failed_probation_needs_probation():
    a = CN.assess(facts(G.PROBATION, in_probation=False))
    assert blocking(a) == [("probation_over", "LCL Art. 39(1)")]
    assert G.PROBATION not in a.allowed_grounds


def test_mutual_agreement_always_possible_and_not_unilateral():
    a = CN.assess(facts(G.MUTUAL, in_probation=True,
                        protections=frozenset(Protection), proposed_by="employer"))
    assert not a.blocked and a.settlement.compensation > 0
    assert by_code(a, "union_not_notified") is None and not CN.unilateral_allowed(G.MUTUAL)


def test_unknown_proposer_warns_and_assumes_employer():
    a = CN.assess(facts(G.MUTUAL))
    assert by_code(a, "proposer_unknown").level == Level.WARNING
    assert a.settlement.compensation == 50000  # 4 y 6 m → 5 × 10,000


def test_employee_proposal_means_no_compensation():
    a = CN.assess(facts(G.MUTUAL, proposed_by="employee"))
    assert a.settlement.compensation == 0
    assert by_code(a, "employee_proposed").article == "LCL Art. 46(2)"


@pytest.mark.parametrize(
    ("ground", "unilateral"),
    [(G.MUTUAL, False), (G.PROBATION, True), (G.MISCONDUCT, True), (G.ILLNESS, True),
     (G.INCOMPETENT, True), (G.CIRCUMSTANCES, True), (G.LAYOFF, True)],
)
def test_unilateral_allowed(ground, unilateral):
    assert CN.unilateral_allowed(ground) is unilateral


def test_article_for_every_ground():
    assert [CN.article(g) for g in (G.PROBATION, G.INCOMPETENT, G.MUTUAL)] == [
        "LCL Art. 39(1)", "LCL Art. 40(2)", "LCL Art. 36"]
    assert all(CN.article(g) for g in Ground)


# --- notice and procedure -------------------------------------------------------------------


def test_notice_rules():
    assert CN.notice_rule(G.INCOMPETENT).days == 30
    assert CN.notice_rule(G.INCOMPETENT).pay_in_lieu_allowed
    assert CN.notice_rule(G.MISCONDUCT).days == 0
    assert not CN.notice_rule(G.MUTUAL).pay_in_lieu_allowed


def test_article_40_without_notice_or_pay_in_lieu_warns():
    a = CN.assess(facts(G.ILLNESS))
    assert by_code(a, "notice_required").level == Level.WARNING
    assert by_code(CN.assess(facts(G.ILLNESS, notice_served=True)), "notice_required") is None
    paid = CN.assess(facts(G.ILLNESS, pay_in_lieu=True, prev_wage=D(11000)))
    assert by_code(paid, "pay_in_lieu").params["amount"] == 11000


def test_union_notification_warning_for_unilateral_only():
    assert by_code(CN.assess(facts(G.INCOMPETENT)), "union_not_notified").article == "LCL Art. 43"
    assert by_code(CN.assess(facts(G.INCOMPETENT, union_notified=True)),
                   "union_not_notified") is None
    assert by_code(CN.assess(facts(G.MUTUAL)), "union_not_notified") is None


@pytest.mark.parametrize(
    ("contract_months", "open_ended", "probation", "too_long"),
    [
        (2, False, 1, True),  # under 3 months: no probation at all
        (3, False, 1, False),
        (11, False, 2, True),
        (12, False, 2, False),
        (35, False, 3, True),
        (36, False, 6, False),
        (36, False, 7, True),
        (None, True, 6, False),
        (None, True, 7, True),
        (None, False, 12, False),  # term unknown: nothing to check against
    ],
)
def test_article_19_probation_length(contract_months, open_ended, probation, too_long):
    a = CN.assess(facts(G.INCOMPETENT, contract_months=contract_months, open_ended=open_ended,
                        probation_months=probation))
    finding = by_code(a, "probation_too_long")
    assert (finding is not None) is too_long
    if finding:
        assert finding.level == Level.WARNING and finding.article == "LCL Art. 19, 83"
        assert f"({probation} months)" in finding.message("en")


# --- documents, deadlines, retention --------------------------------------------------------


def test_documents_per_ground():
    assert [d.kind for d in CN.documents(G.MUTUAL)] == [
        "mutual_agreement", "settlement_statement", "termination_certificate"]
    assert CN.documents(G.INCOMPETENT)[0].kind == "termination_notice"
    assert CN.documents(G.INCOMPETENT)[0].article == "LCL Art. 40(2)"
    assert all(d.electronic_allowed for d in CN.documents(G.MISCONDUCT))


def test_article_50_deadlines():
    deadlines = {d.code: d for d in CN.deadlines(date(2024, 6, 30))}
    assert deadlines["certificate"].due == date(2024, 6, 30)
    assert deadlines["transfer"].due == date(2024, 7, 15)
    assert deadlines["compensation"].due is None
    assert deadlines["compensation"].after == "handover_completed"
    assert deadlines["retention"].due == date(2026, 6, 30)
    assert all(d.article.startswith("LCL Art. 50") for d in deadlines.values())
    assert "2024-07-15" in deadlines["transfer"].message("zh-CN")


def test_retention_at_least_two_years():
    assert CN.retention_until(date(2024, 6, 30)) == date(2026, 6, 30)
    assert CN.retention_until(date(2024, 2, 29)) == date(2026, 3, 1)  # never short of 2 years


# --- texts and citations --------------------------------------------------------------------


def test_cite_renders_the_law_in_chinese_and_keeps_english():
    assert cite("LCL Art. 42(4)", "zh-CN") == "《劳动合同法》第42条第4项"
    assert cite("LCL Art. 48, 87; Regs Art. 25", "zh-CN") == (
        "《劳动合同法》第48条、第87条；《劳动合同法实施条例》第25条")
    assert cite("LCL Art. 42(4)", "en") == "LCL Art. 42(4)"
    assert cite("Some other rule", "zh-CN") == "Some other rule"


def test_every_finding_and_line_has_both_languages():
    battery = [
        facts(g, **extra)
        for g in Ground
        for extra in (
            {},
            {"in_probation": True, "pay_in_lieu": True, "contract_months": 2,
             "probation_months": 3, "protections": frozenset(Protection)},
            {"hired": date(1999, 5, 1), "min_wage": D(20000), "local_avg": None,
             "proposed_by": "employee", "pay_in_lieu": True, "prev_wage": D(9000)},
            {"avg_wage": D(50000), "notice_served": True, "proposed_by": "employer"},
        )
    ]
    seen = set()
    for case in battery:
        a = CN.assess(case)
        for finding in a.findings:
            seen.add(finding.code)
            zh, en = finding.message("zh-CN"), finding.message("en")
            assert zh and en and zh != en
        for line in a.settlement.lines:
            assert line.label("zh-CN") != line.label("en")
    for ground in Ground:
        assert has(f"compliance.ground.{ground}")
    assert len(seen) >= 20  # the battery reaches nearly every rule


def test_findings_are_ordered_most_serious_first():
    a = CN.assess(facts(G.CIRCUMSTANCES, in_probation=True,
                        protections=frozenset({Protection.PREGNANT})))
    levels = [f.level for f in a.findings]
    assert levels == sorted(levels, key=[Level.BLOCKING, Level.WARNING, Level.INFO].index)
    assert by_code(a, "unlawful_risk").level == Level.INFO


# --- facts validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"last_day": date(2019, 12, 31)}, "last_day_before_hired"),
        ({"avg_wage": D(-1)}, "amount"),
        ({"prev_wage": "abc"}, "amount"),
        ({"local_avg": D("NaN")}, "amount"),
        ({"proposed_by": "manager"}, "proposed_by"),
        ({"probation_months": -1}, "count"),
        ({"hired": date(1850, 1, 1)}, "date"),
        ({"protections": frozenset({"alien"})}, "protection"),
    ],
)
def test_invalid_facts_are_refused_with_a_localized_reason(extra, code):
    with pytest.raises(InvalidFacts) as caught:
        facts(**extra)
    assert caught.value.code == code
    assert caught.value.message("en") != caught.value.message("zh-CN")


def test_invalid_ground_refused():
    with pytest.raises(InvalidFacts) as caught:
        CaseFacts(ground="resign", hired=date(2020, 1, 1), last_day=date(2021, 1, 1),
                  avg_wage=D(1))
    assert "resign" in caught.value.message("en")


def test_loose_inputs_are_normalised():
    f = CaseFacts(ground="mutual", hired=date(2020, 1, 1), last_day=date(2021, 1, 1),
                  avg_wage=8000, prev_wage="7000.50", protections=["pregnant"])
    assert f.ground is G.MUTUAL and f.avg_wage == D(8000) and f.prev_wage == D("7000.50")
    assert f.protections == frozenset({Protection.PREGNANT})


# --- registry and reference data ------------------------------------------------------------


def test_registry():
    assert get_jurisdiction().code == "cn" and get_jurisdiction("CN") is CN
    with pytest.raises(UnknownJurisdiction):
        get_jurisdiction("uk")


REFERENCE = {
    "_note": "test",
    "retirement_ages": {"male": 60, "_note": "x"},
    "cities": {
        "Shanghai": {
            "aliases": ["上海"],
            "local_avg_monthly": {"2023": 12307, "_note": "x"},
            "min_wage_monthly": {"2025-07-01": 2740, "2023-07-01": 2690},
            "min_wage_known_through": 2025,
        },
    },
}


def test_reference_lookups():
    ref = ReferenceData.from_mapping(REFERENCE)
    assert ref.local_avg("shanghai", 2023) == D(12307)
    assert ref.local_avg(" 上海 ", 2023) == D(12307)
    assert ref.local_avg("shanghai", 2024) is None and ref.local_avg("nowhere", 2023) is None
    assert ref.min_wage("shanghai", date(2025, 6, 30)) == D(2690)
    assert ref.min_wage("shanghai", date(2025, 7, 1)) == D(2740)
    assert ref.min_wage("shanghai", 2025) == D(2740)  # a year means the standard at its end
    assert ref.min_wage("shanghai", date(2023, 1, 1)) is None  # before the first entry
    assert ref.min_wage("shanghai", 2026) is None  # beyond the known period
    assert ref.retirement_age("male") == 60 and ref.retirement_age("other") is None


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {},
        {"cities": {"x": {"local_avg_monthly": {"20x3": 1}}}},
        {"cities": {"x": {"local_avg_monthly": {"2023": -5}}}},
        {"cities": {"x": {"min_wage_monthly": {"July 2023": 2000}}}},
        {"cities": {"x": {"min_wage_monthly": {"2023-07-01": "lots"}}}},
        {"cities": {"x": {"aliases": "X"}}},
        {"cities": {}, "retirement_ages": {"male": "sixty"}},
    ],
)
def test_malformed_reference_data_is_named(bad):
    with pytest.raises(BadReferenceData):
        ReferenceData.from_mapping(bad)


def test_shipped_reference_file_loads_and_is_marked_for_verification():
    data = json.loads((ROOT / "config" / "reference-cn.json").read_text(encoding="utf-8"))
    assert "verify" in data["_note"].lower()
    ref = ReferenceData.from_mapping(data)
    assert {"shanghai", "beijing", "guangzhou", "shenzhen"} <= set(ref.cities)
    # Only confirmed figures ship: each with its source, keyed by its effective date.
    for city in data["cities"].values():
        for table in ("min_wage_monthly", "local_avg_monthly"):
            for entry in city.get(table, {}).values():
                assert entry["source"] and entry["amount"] > 0
    for city in ("shanghai", "beijing", "guangzhou", "shenzhen"):
        assert ref.min_wage_figure(city, date(2025, 12, 31)) is not None
    assert ref.min_wage_figure("shanghai", date(2025, 6, 30)).amount == D(2690)
    in_force = ref.min_wage_figure("shanghai", date(2025, 7, 1))
    assert (in_force.amount, in_force.effective, in_force.stale) == (D(2740), date(2025, 7, 1),
                                                                      False)
    assert ref.min_wage_figure("shanghai", date(2026, 3, 1)).stale  # 2026 not yet recorded
    assert ref.min_wage_figure("beijing", date(2025, 8, 31)) is None  # not confirmed: left out
    assert not ref.second_contract_binding("shanghai") and ref.second_contract_binding("beijing")


def test_compliance_package_imports_only_the_standard_library_and_workflow():
    allowed_roots = {"workflow", "__future__"}
    for path in (ROOT / "workflow" / "compliance").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            for root in roots:
                assert root in allowed_roots or root in sys.stdlib_module_names, (path, root)
