"""Card → WeCom template_card and markdown, within WeCom's limits."""

from __future__ import annotations

import workflow.machine  # noqa: F401 - registers the button labels
from bot.cards.build import card_for
from bot.cards.model import Card, decode_action
from bot.cards.text import display_width
from bot.channels.wecom.cards import (
    APP_MARKDOWN_BYTES,
    MAX_BUTTONS,
    MAX_ROWS,
    buttons_of,
    fit,
    fit_bytes,
    markdown,
    markdown_parts,
    shows_everything,
    task_id,
    template_card,
)
from handlers.contracts import Message

URL = "https://example.invalid/case"


def _review(**data: object) -> Card:
    return card_for(Message(
        kind="hr_review", recipient="person:4", locale="zh-CN", case_ref="C-0007",
        case_version=5, actions=("confirm_facts", "approve", "request_changes", "reject"),
        data={"title": "待审核：案件 C-0007", "text": "", "state": "人事审核",
              "fields": [["员工", "陈晓丽 (E002)"], ["证据", "• 绩效记录\n• 改进计划"]], **data},
    ))


def test_a_decision_is_a_button_interaction_card_whose_keys_name_case_action_version() -> None:
    payload = template_card(_review(), task="C-0007-v5-12-0", source="离职助手", card_url=URL)
    assert payload["card_type"] == "button_interaction"
    assert payload["task_id"] == "C-0007-v5-12-0"
    assert payload["main_title"] == {"title": "待审核：案件 C-0007", "desc": "人事审核"}
    assert "card_action" not in payload
    refs = [decode_action(b["key"]) for b in payload["button_list"]]
    assert [(r.case_ref, r.action, r.case_version) for r in refs if r] == [
        ("C-0007", a, 5) for a in ("confirm_facts", "approve", "request_changes", "reject")]
    styles = {b["text"]: b["style"] for b in payload["button_list"]}
    assert styles["同意"] != styles["驳回"] != styles["退回修改"]
    # Only the first line of a long value fits on the card.
    assert payload["horizontal_content_list"][1] == {"keyname": "证据", "value": "• 绩效记录"}


def test_information_is_a_text_notice_that_opens_a_link() -> None:
    card = Card(title="新案件 C-0001", text="李伟 为 陈晓丽 发起了案件。", state="收集证据")
    payload = template_card(card, task="C-0001-v1-3-0", source="离职助手", card_url=URL)
    assert payload["card_type"] == "text_notice"
    assert payload["card_action"] == {"type": 1, "url": URL}
    assert payload["sub_title_text"] == "李伟 为 陈晓丽 发起了案件。"
    assert "button_list" not in payload


def test_everything_is_cut_to_wecom_limits() -> None:
    card = Card(
        title="标" * 40, text="文" * 300, state="状" * 40,
        fields=tuple((f"很长的字段名{n}", "值" * 40) for n in range(9)),
    )
    payload = template_card(card, task="t", source="一个非常非常长的来源名称超过十三", card_url=URL)
    assert display_width(payload["main_title"]["title"]) <= 52
    assert display_width(payload["main_title"]["desc"]) <= 60
    assert display_width(payload["sub_title_text"]) <= 224
    assert display_width(payload["source"]["desc"]) <= 26
    assert len(payload["horizontal_content_list"]) == MAX_ROWS
    for row in payload["horizontal_content_list"]:
        assert display_width(row["keyname"]) <= 10 and display_width(row["value"]) <= 52
    assert not shows_everything(card, ())


def test_at_most_six_buttons_of_at_most_ten_characters() -> None:
    actions = ("submit", "withdraw", "approve", "reject", "sign", "dispute", "ask_meeting")
    card = card_for(Message(kind="x", recipient="", locale="en", case_ref="C-0001",
                            case_version=1, actions=actions, data={"title": "t"}))
    payload = template_card(card, task="t", source="s", card_url=URL)
    assert len(payload["button_list"]) == MAX_BUTTONS
    assert all(display_width(b["text"]) <= 20 for b in payload["button_list"])
    assert not shows_everything(card, buttons_of(card))  # the 7th goes into the markdown copy


def test_fit_counts_chinese_as_one_and_latin_as_half() -> None:
    assert fit("同意", 10) == "同意"
    assert fit("Request changes", 10) == "Request changes"  # 15 columns ≤ 20
    cut = fit("Ask for a meeting right now", 10)
    assert cut.startswith("Ask for a meeting") and cut.endswith("…")
    assert display_width(cut) <= 20
    assert display_width(fit("退回修改并重新提交证据材料", 10)) <= 20


def test_task_ids_are_unique_per_card_version_and_attempt_and_wecom_safe() -> None:
    ids = {task_id("C-0001", f"v{v}", item, attempt)
           for v in (1, 2) for item in (10, 11) for attempt in (0, 1)}
    assert len(ids) == 8
    odd = task_id("案件 1", None, 5, 0)
    assert all(ch.isascii() and (ch.isalnum() or ch in "_-@") for ch in odd)
    assert len(task_id("x" * 300)) == 128


def test_markdown_keeps_every_line_within_the_byte_limit() -> None:
    text = markdown(_review())
    assert "**待审核：案件 C-0007**" in text
    assert "> **证据**：• 绩效记录" in text and "• 改进计划" in text
    assert "同意" in text  # the actions are named, to tap on the card
    long = markdown(Card(title="t", text="证" * 5000))
    assert len(long.encode()) <= APP_MARKDOWN_BYTES and long.endswith("…")
    assert fit_bytes("证据" * 10, 10) == "证据" + "…"


def test_long_details_are_split_between_lines_never_cut() -> None:
    lines = [f"第 {n} 行：经济补偿（月工资基数 × 年限）：12,000.00 × 5.5 = 66,000.00" for n in range(80)]
    card = Card(title="关于你劳动合同的决定", fields=(("补偿计算", "\n".join(lines)),))
    parts = markdown_parts(card)
    assert len(parts) > 1
    assert all(len(part.encode()) <= APP_MARKDOWN_BYTES for part in parts)
    joined = "\n".join(parts)
    assert all(line in joined for line in lines)
    assert markdown_parts(Card(title="短")) == ["**短**"]


def test_a_title_too_long_for_its_line_is_repeated_whole_below() -> None:
    title = "请发送第 2 项：绩效改进计划、培训或调岗记录（证据 C-0001 <类型> <链接或文字>）"
    payload = template_card(Card(title=title, state="收集证据"), task="t", source="s",
                            card_url=URL)
    assert payload["main_title"]["title"].endswith("…")
    assert payload["sub_title_text"] == title
    assert shows_everything(Card(title=title, state="收集证据"), ())
