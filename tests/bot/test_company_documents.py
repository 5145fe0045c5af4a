"""Documents drawn for a company with a profile: its name in each language (never the tenant key),
its address and registration number, its seal at the company's signature line; a later version
says what changed; signature lines keep their parts apart; Chinese lines never split a word."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.documents.markup import Block, Markup
from bot.documents.pdf import build_pdf, register_font
from bot.documents.render import TEMPLATES, PdfRenderer
from storage.uow import UnitOfWork
from tests.bot.company_support import ADDRESS, NAME_EN, NAME_ZH, USCC, give_profile
from tests.bot.test_document_pdfs import FONT, SQLITE_ONLY, documents, text_of
from tests.handlers.conftest import START, World, make_world
from tests.handlers.test_flow import T1_FACTS, to_employee
from workflow.clock import ManualClock


@pytest.fixture
async def world(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> World:
    made = await make_world(uow_factory, ManualClock(START))
    made.deps = replace(made.deps, renderer=PdfRenderer(FONT), data_dir=str(tmp_path / "data"))
    return made


def raw_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pictures(pdf: bytes) -> list[Image.Image]:
    return [Image.open(io.BytesIO(picture.data)) for page in PdfReader(io.BytesIO(pdf)).pages
            for picture in page.images]


@SQLITE_ONLY
async def test_every_document_names_the_company_and_the_signed_ones_carry_its_seal(world: World) -> None:
    await give_profile(world.uow_factory, world.deps.data_dir, logo=True)
    await to_employee(world)
    assert (await world.sign()).ok  # the certificate too
    docs = await documents(world)
    assert {kind for kind, _ in docs} == {"termination_notice", "settlement_statement", "termination_certificate"}
    for (kind, locale), doc in docs.items():
        text = text_of(doc.content)
        name = NAME_EN if locale == "en" else NAME_ZH
        assert "".join(name.split()) in text, (kind, locale, text[:500])
        assert "console:local" not in text and "".join(ADDRESS.split()) in text and USCC in text
        sizes = sorted(picture.size for picture in pictures(doc.content))
        if kind == "settlement_statement":  # no signature line, no seal: the logo only
            assert sizes == [(300, 90)], (kind, locale)
        else:
            assert sizes == [(240, 240), (300, 90)], (kind, locale)
    assert PdfReader(io.BytesIO(docs["termination_notice", "en"].content)).metadata.author == NAME_EN


@SQLITE_ONLY
async def test_without_a_profile_the_documents_say_the_company_never_the_tenant_key(world: World) -> None:
    await to_employee(world)
    docs = await documents(world)
    for doc in docs.values():
        assert "console:local" not in text_of(doc.content) and pictures(doc.content) == []
    assert "本公司" in text_of(docs["termination_notice", "zh-CN"].content)
    assert "theCompany" in text_of(docs["termination_notice", "en"].content)


@SQLITE_ONLY
async def test_the_english_signature_lines_keep_name_and_date_apart(world: World) -> None:
    await give_profile(world.uow_factory, world.deps.data_dir, seal=False)
    await to_employee(world)
    lines = [line.strip() for line in raw_text((await documents(world))["termination_notice", "en"].content)
             .splitlines()]
    assert f"For the employer: {NAME_EN}" in lines
    assert "Date: 2024-06-04" in lines
    assert "Received by the employee: ________________" in lines and "Date: __________" in lines
    assert not any(re.search(r"Ltd\.\s+Date", line) for line in lines)


@SQLITE_ONLY
async def test_a_later_version_says_which_version_it_replaces_and_what_changed(world: World) -> None:
    await to_employee(world)
    assert (await world.act("alice", "dispute", text="工资基数有误")).ok
    # HR corrects the wage: the frozen documents are drawn again as version 2 …
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "avg_wage": "13000", "confirm": "yes"})).ok
    # … and revising sends version 3 with HR's note.
    assert (await world.act("wangfang", "revise", text="按 13000 元月工资重算补偿")).ok
    case = await world.case()
    async with world.uow_factory() as uow:
        rows = await uow.documents.for_case(case.id)
    by = {(d.version, d.kind, d.locale): text_of(d.content) for d in rows}
    for (version, _kind, _locale), text in by.items():
        if version == 1:
            assert "取代" not in text and "replaces" not in text
    zh, en = by[2, "termination_notice", "zh-CN"], by[2, "termination_notice", "en"]
    for phrase in ("本文件第 2 版取代第 1 版", "经济补偿：66,000.00 元 → 71,500.00 元",
                   "合计：78,500.00 元 → 84,000.00 元"):
        assert "".join(phrase.split()) in zh, phrase
    for phrase in ("Version 2 replaces version 1", "Total: CNY 78,500.00 → CNY 84,000.00",
                   "Economic compensation: CNY 66,000.00 → CNY 71,500.00"):
        assert "".join(phrase.split()) in en, phrase
    assert "Lastday" not in en and "Reasons:" not in en  # only what changed is named
    third = by[3, "settlement_statement", "zh-CN"]
    assert "本文件第3版取代第2版" in third and "按13000元月工资重算补偿" in third


@SQLITE_ONLY
async def test_version_two_without_a_note_or_a_changed_term_says_so(world: World) -> None:
    await to_employee(world)
    assert (await world.act("alice", "dispute", text="想再谈谈")).ok
    assert (await world.act("wangfang", "revise")).ok
    en = text_of((await documents(world))["termination_notice", "en"].content)
    assert "Version2replacesversion1" in en and "Notermofthedocumentschanged" in en


def test_a_chinese_line_is_never_broken_inside_an_english_word_or_a_number() -> None:
    # Narrow table cells, the words landing at every position of a line: reportlab's own CJK
    # wrapping cut "International-Corporation" and "66,000.00" in two here.
    words = "Shanghai Example International-Corporation SHA-256 12,000.00×5.5=66,000.00"
    rows = tuple(("签署" + "签" * n + " " + words + " 以及时间。", "-", "-") for n in range(12))
    document = Markup("t", "footer", (Block("table", rows=rows),
                                      *(Block("p", "记" * n + " " + words) for n in range(40))))
    extracted = raw_text(build_pdf(document, font=register_font(FONT), cjk=True))
    for word in words.split():
        assert extracted.count(word) == 52, (word, extracted)


def test_the_signing_page_breaks_long_hashes_but_never_words() -> None:
    css = (TEMPLATES / "signing" / "sign.css").read_text()
    assert "break-all" not in css  # it split English words in the small print mid-word
    assert re.search(r"\.meta, \.note \{[^}]*overflow-wrap: anywhere", css)
