"""An Art. 44 ending (expiry, retirement) is worded 终止 — the contract ends — never 解除."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.documents.render import PdfRenderer
from bot.settings import Settings
from handlers.rendering import DocumentSpec, JsonRenderer
from workflow.compliance import get_jurisdiction
from workflow.model import Ground

FONT = Settings.model_fields["DOCUMENT_FONT"].default
DATA = {
    "case_ref": "C-0010", "version": 1, "issued_on": "2025-06-30", "company": "示例科技",
    "employee": {"name": "王小明", "employee_no": "E9", "department": "研发部", "position": "工程师"},
    "ground": "劳动合同期满", "ground_article": "《劳动合同法》第44条第1项",
    "document_article": "《劳动合同法》第50条", "proposed_by": "", "reasons": "合同到期不续签",
    "revision_note": "", "hired": "2015-07-01", "last_day": "2025-06-30",
    "service": {"years": 10, "months": 0}, "settlement": None,
}


@pytest.mark.parametrize("kind", ["termination_notice", "termination_certificate"])
@pytest.mark.parametrize(("ground", "word", "other"), [
    (Ground.EXPIRY, "终止", "解除"), (Ground.RETIREMENT, "终止", "解除"),
    (Ground.INCOMPETENT, "解除", "终止")])
def test_the_wording_follows_the_ground(kind, ground, word, other):
    rule = next(r for r in get_jurisdiction("cn").documents(ground) if r.kind == kind)
    spec = DocumentSpec(kind, "zh-CN", 1, {**DATA, "wording": rule.wording})
    markup = PdfRenderer(FONT).markup(spec)
    assert word in markup and other not in markup


async def test_the_title_says_end_in_both_renderers_and_languages():
    spec = DocumentSpec("termination_certificate", "zh-CN", 1, {**DATA, "wording": "end"})
    assert (await JsonRenderer().render(spec)).title == "终止劳动合同证明书"
    english = replace(spec, locale="en")
    assert (await JsonRenderer().render(english)).title.startswith("Certificate of the End")
    assert 'title="终止劳动合同通知书"' in PdfRenderer(FONT).markup(
        replace(spec, kind="termination_notice"))
