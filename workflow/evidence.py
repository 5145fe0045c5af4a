"""Which evidence each separation ground requires, and how people name the kinds of evidence.

Requirements are slots filled by evidence *kinds*; `missing()` says which slots are still empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from workflow.i18n import LOCALES, normalise_locale, t
from workflow.model import Ground, Refusal


class EvidenceKind(StrEnum):
    """What one piece of evidence is; stored as the evidence row's `kind`."""

    PERFORMANCE = "performance"  # a performance record for one review period
    IMPROVEMENT_PLAN = "improvement_plan"  # PIP
    TRAINING = "training"
    JOB_ADJUSTMENT = "job_adjustment"
    IMPROVEMENT_RESULT = "improvement_result"  # the result after the plan/training/adjustment
    FEEDBACK = "feedback"  # a feedback conversation record
    HANDBOOK_RULE = "handbook_rule"  # the rule and where it is published
    HANDBOOK_ACK = "handbook_ack"  # the employee's acknowledgement of the handbook
    INCIDENT = "incident"
    HIRING_CONDITIONS = "hiring_conditions"
    PROBATION_ASSESSMENT = "probation_assessment"
    MEDICAL_PERIOD_END = "medical_period_end"
    UNFIT_FOR_WORK = "unfit_for_work"  # cannot do the original or an arranged job
    CIRCUMSTANCE_CHANGE = "circumstance_change"
    NEGOTIATION = "negotiation"  # the attempt to change the contract by agreement
    PROPOSAL = "proposal"  # who proposed the mutual termination
    CONTRACT = "contract"  # the fixed-term contract (its term and end date)
    RENEWAL_OFFER = "renewal_offer"  # the renewal offer (or decision not to renew) and the answer
    RETIREMENT_PROOF = "retirement_proof"  # birth date (ID) and category, or the pension start
    DAMAGE = "damage"  # the major damage caused (Art. 39(3))
    SECOND_JOB = "second_job"  # the other employment (Art. 39(4))
    SECOND_JOB_IMPACT = "second_job_impact"  # its effect on the work, or the refusal to end it
    FRAUD_PROOF = "fraud_proof"  # the deception that made the contract invalid (Art. 26(1))
    CRIMINAL_RECORD = "criminal_record"  # the judgment or decision (Art. 39(6))


@dataclass(frozen=True)
class Requirement:
    """One slot a ground needs filled: any of `accepts` counts, `min_count` items in total."""

    key: str
    accepts: frozenset[str]
    min_count: int = 1


class GroundRefused(ValueError):
    """The ground cannot run as a single case at all; `refusal` says why and where to go."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


K = EvidenceKind


def _req(key: str, *kinds: EvidenceKind, min_count: int = 1) -> Requirement:
    return Requirement(key, frozenset(str(k) for k in kinds), min_count)


# Defaults from WORKFLOW.md. Within one ground no kind fills two slots, so counting is unambiguous.
DEFAULT_REQUIREMENTS: Mapping[Ground, tuple[Requirement, ...]] = {
    Ground.INCOMPETENT: (
        _req("performance_records", K.PERFORMANCE, min_count=2),
        _req("remedy", K.IMPROVEMENT_PLAN, K.TRAINING, K.JOB_ADJUSTMENT),
        _req("remedy_result", K.IMPROVEMENT_RESULT),
        _req("feedback_conversation", K.FEEDBACK),
    ),
    Ground.MISCONDUCT: (
        _req("published_rule", K.HANDBOOK_RULE),
        _req("handbook_acknowledgement", K.HANDBOOK_ACK),
        _req("incident_records", K.INCIDENT),
    ),
    Ground.PROBATION: (
        _req("hiring_conditions", K.HIRING_CONDITIONS),
        _req("probation_assessment", K.PROBATION_ASSESSMENT),
    ),
    Ground.ILLNESS: (
        _req("medical_period_end", K.MEDICAL_PERIOD_END),
        _req("unfit_for_work", K.UNFIT_FOR_WORK),
    ),
    Ground.CIRCUMSTANCES: (
        _req("circumstance_change", K.CIRCUMSTANCE_CHANGE),
        _req("contract_negotiation", K.NEGOTIATION),
    ),
    Ground.MUTUAL: (_req("proposer", K.PROPOSAL),),
    Ground.EXPIRY: (
        _req("fixed_term_contract", K.CONTRACT),
        _req("renewal_decision", K.RENEWAL_OFFER),
    ),
    Ground.RETIREMENT: (_req("retirement_age", K.RETIREMENT_PROOF),),
    Ground.DERELICTION: (
        _req("dereliction_records", K.INCIDENT),
        _req("major_damage", K.DAMAGE),
    ),
    Ground.SECOND_JOB: (
        _req("other_employment", K.SECOND_JOB),
        _req("second_job_effect", K.SECOND_JOB_IMPACT),
    ),
    Ground.FRAUD: (_req("fraud", K.FRAUD_PROOF),),
    Ground.CRIMINAL: (_req("criminal_liability", K.CRIMINAL_RECORD),),
}

_REQUIREMENT_KEYS = frozenset(req.key for reqs in DEFAULT_REQUIREMENTS.values() for req in reqs)

# Art. 41 layoffs need a collective procedure (union / all-staff consultation, report to the
# labour authority), which a single case cannot provide.
_REFUSED_GROUNDS = {Ground.LAYOFF: "evidence.layoff_refused"}


def ground_refusal(ground: Ground) -> Refusal | None:
    """Why a case on this ground cannot be opened, or None when it can."""
    code = _REFUSED_GROUNDS.get(ground)
    return Refusal(code) if code else None


def requirements(ground: Ground) -> tuple[Requirement, ...]:
    """The slots a case on `ground` must fill; raises GroundRefused for layoffs."""
    refusal = ground_refusal(ground)
    if refusal is not None:
        raise GroundRefused(refusal)
    return DEFAULT_REQUIREMENTS[ground]


def received(req: Requirement, kinds: Iterable[str]) -> int:
    """How many items of `kinds` count towards `req` (one of two review periods, say)."""
    return sum(1 for kind in kinds if kind in req.accepts)


def missing(ground: Ground, kinds: Iterable[str]) -> tuple[Requirement, ...]:
    """The requirements of `ground` not yet met by evidence of `kinds` (one entry per item)."""
    given = list(kinds)
    return tuple(req for req in requirements(ground) if received(req, given) < req.min_count)


@dataclass(frozen=True)
class EvidenceGap:
    """The first item a case still lacks: its number in the ground's list, what counts, and how
    many of it are in already (one of two review periods, say)."""

    number: int
    requirement: Requirement
    have: int


def first_gap(ground: Ground, kinds: Iterable[str]) -> EvidenceGap | None:
    """What to ask for next, or None when the evidence is complete (every prompt asks this)."""
    given = list(kinds)
    gaps = missing(ground, given)
    if not gaps:
        return None
    return EvidenceGap(requirements(ground).index(gaps[0]) + 1, gaps[0], received(gaps[0], given))


def requirement_label(req: Requirement | str, locale: str | None) -> str:
    """The reader's name for a requirement (or a requirement key), e.g. '改进计划及结果'."""
    key = req.key if isinstance(req, Requirement) else req
    return t(f"evidence.req.{key}", locale)


def is_requirement_key(text: str) -> bool:
    """Whether `text` is a requirement key (rather than, say, an already rendered label)."""
    return text in _REQUIREMENT_KEYS


def kind_label(kind: str, locale: str | None) -> str:
    return t(f"evidence.kind.{kind}", locale)


def kinds_for(ground: Ground) -> tuple[str, ...]:
    """The kinds that fill `ground`'s requirements, in the order the requirements are asked for."""
    wanted = [kind for req in requirements(ground) for kind in all_kinds() if kind in req.accepts]
    return tuple(dict.fromkeys(wanted))


def typed_word(kind: str, locale: str | None) -> str:
    """One word that names `kind` as the first word of `evidence`: English takes the kind's own
    name (improvement-plan), Chinese its first Chinese alias (改进计划); never a space, as the
    command reads one word."""
    if normalise_locale(locale) == "en":
        return kind.replace("_", "-")
    return next(name for name in _ALIASES[EvidenceKind(kind)] if _CJK.search(name))


def typed_label(kind: str, locale: str | None) -> str:
    """`kind` as it can be typed, then its full label: improvement-plan (improvement plan)."""
    return t("evidence.kind_typed", locale, short=typed_word(kind, locale), label=kind_label(kind, locale))


def all_kinds() -> tuple[str, ...]:
    """Every evidence kind, in the order they are offered to people."""
    return tuple(kind.value for kind in EvidenceKind)


# Extra names people type; the kind's value and both labels are accepted too.
_ALIASES: dict[EvidenceKind, tuple[str, ...]] = {
    K.PERFORMANCE: ("perf", "review", "绩效", "绩效考核", "考核记录"),
    K.IMPROVEMENT_PLAN: ("pip", "plan", "改进计划", "绩效改进"),
    K.TRAINING: ("培训",),
    K.JOB_ADJUSTMENT: ("adjustment", "transfer", "调岗", "岗位调整"),
    K.IMPROVEMENT_RESULT: ("result", "outcome", "结果", "改进结果", "培训结果", "调岗结果"),
    K.FEEDBACK: ("feedback conversation", "反馈", "反馈面谈", "反馈记录", "面谈记录", "沟通记录"),
    K.HANDBOOK_RULE: ("rule", "handbook", "规章制度", "员工手册", "制度"),
    K.HANDBOOK_ACK: ("ack", "acknowledgement", "acknowledgment", "签收", "手册签收"),
    K.INCIDENT: ("misconduct", "违纪", "违纪记录", "事件记录"),
    K.HIRING_CONDITIONS: ("hiring", "录用条件"),
    K.PROBATION_ASSESSMENT: ("probation", "assessment", "试用期考核", "转正考核"),
    K.MEDICAL_PERIOD_END: ("medical", "medical period", "医疗期", "医疗期满"),
    K.UNFIT_FOR_WORK: ("unfit", "不能从事原工作", "劳动能力鉴定"),
    K.CIRCUMSTANCE_CHANGE: ("change", "circumstances", "客观情况", "客观情况变化"),
    K.NEGOTIATION: ("协商", "协商记录", "变更协商"),
    K.PROPOSAL: ("proposer", "提出方", "提议"),
    K.CONTRACT: ("contract", "labour contract", "劳动合同", "合同"),
    K.RENEWAL_OFFER: ("renewal", "续签", "续订", "续签意见"),
    K.RETIREMENT_PROOF: ("retirement", "pension", "退休", "身份证", "养老金"),
    K.DAMAGE: ("loss", "损失", "重大损害"),
    K.SECOND_JOB: ("moonlighting", "兼职", "双重劳动关系"),
    K.SECOND_JOB_IMPACT: ("impact", "影响", "拒不改正"),
    K.FRAUD_PROOF: ("fraud", "deception", "欺诈", "虚假材料"),
    K.CRIMINAL_RECORD: ("criminal", "judgment", "刑事", "判决书"),
}


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _normal(text: str) -> str:
    # Spaces, hyphens and underscores are interchangeable in what people type.
    return re.sub(r"[\s\-_]+", "_", text.strip().casefold())


def _alias_index() -> dict[str, EvidenceKind]:
    index: dict[str, EvidenceKind] = {}
    for kind in EvidenceKind:
        labels = (t(f"evidence.kind.{kind}", locale) for locale in LOCALES)
        for name in (kind.value, *labels, *_ALIASES[kind]):
            key = _normal(name)
            if index.setdefault(key, kind) is not kind:
                raise ValueError(f"evidence alias {name!r} names two kinds")
    return index


_INDEX = _alias_index()


def parse_kind(text: str) -> str | None:
    """The evidence kind a person means by `text` (English or Chinese), or None."""
    kind = _INDEX.get(_normal(text))
    return kind.value if kind else None
