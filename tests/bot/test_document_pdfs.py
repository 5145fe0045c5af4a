"""Every document type in both languages, rendered to PDF from real cases: the PDF opens and its
extracted text has the employee's name, the figures and the article references, Chinese included."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.documents.pdf import BUILTIN_FONT
from bot.documents.render import PdfRenderer
from bot.settings import Settings
from handlers.rendering import DocumentSpec
from storage.models import Document
from storage.uow import UnitOfWork
from tests.conftest import service_unavailable
from tests.handlers.conftest import SHANGHAI, START, World, make_world
from tests.handlers.test_flow import supply_evidence, to_employee
from workflow.clock import ManualClock
from workflow.model import Ground

FONT = Settings.model_fields["DOCUMENT_FONT"].default
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the PDFs are the point


def text_of(pdf: bytes) -> str:
    """The extracted text without whitespace: line breaks fall anywhere in a wrapped sentence."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def assert_says(pdf: bytes, *phrases: str) -> None:
    text = text_of(pdf)
    missing = [p for p in phrases if "".join(p.split()) not in text]
    assert not missing, (missing, text[:3000])


@pytest.fixture
async def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    made = await make_world(uow_factory, ManualClock(START))
    made.deps = replace(made.deps, renderer=PdfRenderer(FONT))
    async with uow_factory() as uow:  # a Chinese name, to see it come out of the PDF
        tenant = await uow.tenants.by_key("console:local")
        await uow.people.upsert(tenant.id, "E001", name="陈晓丽")
        await uow.commit()
    return made


async def documents(world: World, ref: str = "C-0001") -> dict[tuple[str, str], Document]:
    case = await world.case(ref)
    async with world.uow_factory() as uow:
        return {(d.kind, d.locale): d for d in await uow.documents.for_case(case.id)}


@SQLITE_ONLY
async def test_notice_statement_and_certificate_in_both_languages(world: World) -> None:
    await to_employee(world)  # Art. 40(2), test vector T1
    assert (await world.sign("alice")).ok
    docs = await documents(world)
    for doc in docs.values():
        assert doc.media_type == "application/pdf" and doc.content.startswith(b"%PDF")
    figures = ("66,000.00", "12,500.00", "78,500.00")
    assert_says(docs["termination_notice", "zh-CN"].content, "解除劳动合同通知书", "陈晓丽", *figures,
                "《劳动合同法》第40条第2项", "《劳动合同法》第50条", "2024-06-30")
    assert_says(docs["termination_notice", "en"].content, "Notice of Termination", "陈晓丽",
                *figures, "LCL Art. 40(2)", "LCL Art. 50", "2024-06-30")
    assert_says(docs["settlement_statement", "zh-CN"].content, "经济补偿计算说明", "陈晓丽",
                "5 + 0.5 = 5.5", "12,000.00 × 5.5 = 66,000.00", *figures,
                "《劳动合同法》第47条", "《劳动合同法实施条例》第20条")
    assert_says(docs["settlement_statement", "en"].content, "Settlement Statement", "陈晓丽",
                "12,000.00 × 5.5 = 66,000.00", *figures, "LCL Art. 47", "Regs Art. 20")
    for doc in docs.values():  # the employer's unlawful-termination risk is not the employee's
        assert "132,000.00" not in text_of(doc.content)
    assert_says(docs["termination_certificate", "zh-CN"].content, "解除劳动合同证明书", "陈晓丽",
                "2019-03-15", "2024-06-30", "5 年 3 个月", "《劳动合同法》第40条第2项",
                "《劳动合同法》第50条；《劳动合同法实施条例》第24条")
    assert_says(docs["termination_certificate", "en"].content, "Termination Certificate",
                "陈晓丽", "2019-03-15", "2024-06-30", "5 years 3 months",
                "LCL Art. 50; Regs Art. 24")


@SQLITE_ONLY
async def test_mutual_agreement_in_both_languages(world: World) -> None:
    # Test vector T6: Art. 36, employer proposed; 2021-09-01 → 2024-11-15; average 20,000.
    assert (await world.act("lee", "open", None, employee="@alice", ground="mutual")).ok
    await supply_evidence(world, Ground.MUTUAL)
    for who, action, args in (
        ("lee", "submit", {}),
        ("wangfang", "facts", {"facts": {"hired": "2021-09-01", "last_day": "2024-11-15",
                                         "avg_wage": "20000", "proposed_by": "employer",
                                         "confirm": "yes"}}),
        ("wangfang", "approve", {}),
        ("wangfang", "schedule", {"when": "2024-06-04 10:00"}),
        ("lee", "confirm_attendance", {}),
    ):
        reply = await world.act(who, action, **args)
        assert reply.ok, (action, reply.messages)
    world.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI))
    assert (await world.act("wangfang", "record_talk")).ok
    docs = await documents(world)
    assert_says(docs["mutual_agreement", "zh-CN"].content, "协商解除劳动合同协议书", "陈晓丽",
                "70,000.00", "2024-11-15", "《劳动合同法》第36条", "《劳动合同法》第46条第2项、第47条",
                "《劳动合同法》第50条")
    assert_says(docs["mutual_agreement", "en"].content, "Agreement on Mutual Termination", "陈晓丽",
                "70,000.00", "2024-11-15", "LCL Art. 36", "LCL Art. 46(2), 47", "LCL Art. 50")
    assert_says(docs["settlement_statement", "en"].content, "3 + 0.5 = 3.5", "70,000.00")


SPEC = DocumentSpec("termination_certificate", "zh-CN", 1, {
    "case_ref": "C-0009", "version": 1, "issued_on": "2024-06-30", "company": "示例科技",
    "employee": {"name": "王小明", "employee_no": "E9", "department": "研发部", "position": "工程师"},
    "ground": "协商一致解除", "ground_article": "《劳动合同法》第36条",
    "document_article": "《劳动合同法》第50条", "proposed_by": "", "reasons": "", "revision_note": "",
    "hired": "2020-01-01", "last_day": "2024-06-30", "service": {"years": 4, "months": 6},
    "settlement": None,
})


async def test_the_font_is_embedded_and_the_output_is_repeatable() -> None:
    if not Path(FONT).is_file():
        service_unavailable(f"no document font at {FONT} (apt-get install fonts-wqy-zenhei)")
    renderer = PdfRenderer(FONT)
    first, second = await renderer.render(SPEC), await renderer.render(SPEC)
    assert first.content == second.content  # same content, same bytes, same SHA-256
    assert b"/FontFile2" in first.content  # the TrueType subset travels with the document
    assert_says(first.content, "王小明", "4 年 6 个月", "《劳动合同法》第50条")


async def test_without_the_font_package_the_builtin_cid_font_still_gives_chinese_text() -> None:
    document = await PdfRenderer("/nonexistent/font.ttf").render(SPEC)
    assert BUILTIN_FONT.encode() in document.content and b"/FontFile2" not in document.content
    assert_says(document.content, "解除劳动合同证明书", "王小明", "《劳动合同法》第36条")
