"""`python -m bot settlement`: every public vector through --json, human output, and bad input."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import settlement

ROOT = Path(__file__).resolve().parents[2]

T1 = ["--ground", "incompetent", "--hired", "2019-03-15", "--last-day", "2024-06-30",
      "--avg-wage", "12000", "--local-avg", "10000", "--prev-wage", "12500", "--pay-in-lieu"]
VECTORS = {
    "T1": (T1, {"n": 5.5, "compensation": 66000, "pay_in_lieu": 12500, "total": 78500,
                "blocked": False}),
    "T2": (["--ground", "mutual", "--proposed-by", "employer", "--hired", "2024-01-01",
            "--last-day", "2024-05-31", "--avg-wage", "8000"],
           {"n": 0.5, "compensation": 4000, "total": 4000}),
    "T3": (["--ground", "circumstances", "--hired", "2024-01-01", "--last-day", "2024-06-30",
            "--avg-wage", "9000"], {"n": 1, "compensation": 9000}),
    "T3-short": (["--ground", "circumstances", "--hired", "2024-01-01", "--last-day",
                  "2024-06-29", "--avg-wage", "9000"], {"n": 0.5, "compensation": 4500}),
    "T4": (["--ground", "circumstances", "--hired", "2008-03-01", "--last-day", "2024-12-31",
            "--avg-wage", "45000", "--local-avg", "12000", "--notice-served"],
           {"capped": True, "base": 36000, "n": 12, "compensation": 432000, "pay_in_lieu": 0,
            "total": 432000}),
    "T4b": (["--ground", "circumstances", "--hired", "2008-03-01", "--last-day", "2024-12-31",
             "--avg-wage", "30000", "--local-avg", "12000", "--notice-served"],
            {"capped": False, "base": 30000, "n": 17, "compensation": 510000}),
    "T5": (["--ground", "misconduct", "--hired", "2020-01-01", "--last-day", "2024-06-30",
            "--avg-wage", "10000"],
           {"compensation": 0, "pay_in_lieu": 0, "total": 0, "blocked": False}),
    "T6-employer": (["--ground", "mutual", "--proposed-by", "employer", "--hired", "2021-09-01",
                     "--last-day", "2024-11-15", "--avg-wage", "20000"],
                    {"n": 3.5, "compensation": 70000}),
    "T6-employee": (["--ground", "mutual", "--proposed-by", "employee", "--hired", "2021-09-01",
                     "--last-day", "2024-11-15", "--avg-wage", "20000"],
                    {"n": 3.5, "compensation": 0}),
    "T8": (["--ground", "circumstances", "--maternity", "--hired", "2020-01-01", "--last-day",
            "2024-06-30", "--avg-wage", "10000"], {"blocked": True}),
    "T9": (["--ground", "circumstances", "--in-probation", "--hired", "2024-04-01",
            "--last-day", "2024-06-30", "--avg-wage", "10000"], {"blocked": True}),
    "T10": (["--ground", "expiry", "--hired", "2015-07-01", "--contract-end", "2025-06-30",
             "--last-day", "2025-06-30", "--avg-wage", "10000", "--renewal-offered", "none"],
            {"n": 10, "compensation": 100000, "blocked": False}),
    "T11": (["--ground", "expiry", "--hired", "2015-07-01", "--contract-end", "2025-06-30",
             "--last-day", "2025-06-30", "--avg-wage", "10000", "--renewal-offered", "same",
             "--employee-declined"], {"compensation": 0, "total": 0, "blocked": False}),
    "T12": (["--ground", "expiry", "--hired", "2005-03-01", "--contract-end", "2024-02-29",
             "--last-day", "2024-02-29", "--avg-wage", "8000"],
            {"n": 16.5, "compensation": 132000}),
    "T13": (["--ground", "expiry", "--pregnant", "--hired", "2020-01-01", "--contract-end",
             "2024-12-31", "--last-day", "2024-12-31", "--avg-wage", "10000"], {"blocked": True}),
    "T14": (["--ground", "circumstances", "--union", "yes", "--hired", "2020-01-01",
             "--last-day", "2024-06-30", "--avg-wage", "10000"],
            {"blocked": True, "unlawful_risk": 100000}),
    "T15": (["--ground", "circumstances", "--birth-date", "1966-03-10", "--retirement-category",
             "male", "--hired", "2008-01-01", "--last-day", "2026-06-30", "--avg-wage", "10000"],
            {"blocked": True}),
    "T16": (["--ground", "layoff", "--headcount", "100", "--reduced", "12", "--hired",
             "2020-01-01", "--last-day", "2024-06-30", "--avg-wage", "10000"], {"blocked": True}),
    "T16-below": (["--ground", "layoff", "--headcount", "100", "--reduced", "5", "--hired",
                   "2020-01-01", "--last-day", "2024-06-30", "--avg-wage", "10000"],
                  {"blocked": True}),
}
# The rule each blocked vector is blocked under (COMPLIANCE.md).
BLOCKED_BY = {
    "T8": ("protected.maternity", "LCL Art. 42(4)"),
    "T9": ("probation_ground", "LCL Art. 21"),
    "T13": ("expiry_extended.pregnant", "LCL Art. 45, 42(4)"),
    "T14": ("union_required", "LCL Art. 43; SPC Art. 47"),
    "T15": ("protected.near_retirement", "LCL Art. 42(5)"),
    "T16": ("layoff_collective", "LCL Art. 41"),
    "T16-below": ("layoff_below_threshold", "LCL Art. 41, 40(3)"),
}


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="bot")
    settlement.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["settlement", *argv])
    status = args.func(args)
    out, err = capsys.readouterr()
    return status, out, err


def invoke_json(capsys, *argv: str) -> dict:
    status, out, err = invoke(capsys, *argv, "--json", "--lang", "en")
    result = json.loads(out)
    # A blocked assessment exits 3 and still prints the JSON; anything else exits 0.
    assert status == (3 if result["blocked"] else 0), err
    return result


@pytest.mark.parametrize("name", list(VECTORS))
def test_public_vector_json(capsys, name):
    argv, expected = VECTORS[name]
    result = invoke_json(capsys, *argv)
    assert {key: result[key] for key in expected} == expected
    for key in ("n", "base", "compensation", "pay_in_lieu", "total", "unlawful_risk"):
        assert isinstance(result[key], int | float) and not isinstance(result[key], bool)
    assert all({"level", "article", "message"} <= set(f) for f in result["findings"])
    if name in BLOCKED_BY:
        blocking = [(f["code"], f["article"]) for f in result["findings"]
                    if f["level"] == "blocking"]
        assert BLOCKED_BY[name] in blocking


def test_blocked_assessment_exits_3_with_the_json_printed(capsys):
    status, out, _ = invoke(capsys, *VECTORS["T14"][0], "--json")
    assert status == 3 and json.loads(out)["blocked"] is True
    status, out, _ = invoke(capsys, *VECTORS["T14"][0], "--union-notified")
    assert status == 0 and "union" not in out.lower()


def test_t15_json_names_the_retirement_date(capsys):
    result = invoke_json(capsys, *VECTORS["T15"][0])
    dated = next(f for f in result["findings"] if f["code"] == "retirement_date")
    assert "2026-07-10" in dated["message"] and "60 years 4 months" in dated["message"]


def test_t16_json_explains_the_procedure_or_points_to_article_40_3(capsys):
    above = invoke_json(capsys, *VECTORS["T16"][0])
    text = next(f["message"] for f in above["findings"] if f["code"] == "layoff_collective")
    assert "30 days" in text and "labour administration" in text
    below = invoke_json(capsys, *VECTORS["T16-below"][0])
    text = next(f["message"] for f in below["findings"] if f["code"] == "layoff_below_threshold")
    assert "Art. 40(3)" in text


def test_city_minimum_wage_is_named_with_its_effective_date_or_warned(capsys, tmp_path):
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps({"cities": {"testville": {
        "min_wage_monthly": {"2025-07-01": {"amount": 2740, "source": "test"}},
        "min_wage_known_through": 2025}}}), encoding="utf-8")
    base = ["--ground", "mutual", "--proposed-by", "employer", "--hired", "2020-01-01",
            "--avg-wage", "1000", "--city", "testville", "--reference", str(reference)]
    current = invoke_json(capsys, *base, "--last-day", "2025-08-31")
    used = next(f for f in current["findings"] if f["code"] == "min_wage_in_force")
    assert "2025-07-01" in used["message"] and current["base"] == 2740
    stale = invoke_json(capsys, *base, "--last-day", "2026-08-31")
    warned = next(f for f in stale["findings"] if f["code"] == "min_wage_stale")
    assert warned["level"] == "warning" and "2025-07-01" in warned["message"]
    assert stale["base"] == 2740
    none = invoke_json(capsys, *base, "--last-day", "2025-06-30")
    assert [f["level"] for f in none["findings"] if f["code"] == "min_wage_unknown"] == [
        "warning"]

def test_whole_numbers_are_json_ints(capsys):
    result = invoke_json(capsys, *T1)
    assert isinstance(result["compensation"], int) and isinstance(result["n"], float)
    assert result["unlawful_risk"] == 132000


def test_t5_json_says_certificate_still_required(capsys):
    result = invoke_json(capsys, *VECTORS["T5"][0])
    codes = {f["code"] for f in result["findings"]}
    assert {"summary_dismissal", "certificate_required"} <= codes
    assert result["notice"] == {"days": 0, "pay_in_lieu_allowed": False,
                                "article": "LCL Art. 39(2)"}
    assert result["deadlines"][0]["code"] == "certificate"
    assert result["deadlines"][0]["due"] == "2024-06-30"


def test_t8_json_cites_article_42_and_keeps_36_and_39(capsys):
    result = invoke_json(capsys, *VECTORS["T8"][0])
    blocking = [f for f in result["findings"] if f["level"] == "blocking"]
    assert [f["article"] for f in blocking] == ["LCL Art. 42(4)"]
    assert {"mutual", "misconduct"} <= set(result["allowed_grounds"])
    assert "circumstances" not in result["allowed_grounds"]


def test_t9_json_cites_article_21(capsys):
    result = invoke_json(capsys, *VECTORS["T9"][0])
    assert [f["article"] for f in result["findings"] if f["level"] == "blocking"] == [
        "LCL Art. 21"]
    assert {"misconduct", "probation", "illness", "incompetent"} <= set(result["allowed_grounds"])


def test_human_output_in_chinese_by_default(capsys):
    status, out, _ = invoke(capsys, *T1)
    assert status == 0
    assert "解除依据：不能胜任工作（《劳动合同法》第40条第2项）" in out
    assert "12,000.00 × 5.5 = 66,000.00" in out and "78,500.00" in out
    assert "[注意]" in out and "《劳动合同法》第43条" in out


def test_human_output_in_english(capsys):
    status, out, _ = invoke(capsys, *VECTORS["T8"][0], "--lang", "en")
    assert status == 3  # blocked: the text is printed and the exit status says so
    assert "Ground: major change of circumstances (LCL Art. 40(3))" in out
    assert "[BLOCKING]" in out and "LCL Art. 42(4)" in out and "Result: blocked" in out
    assert "Termination certificate: at termination, 2024-06-30" in out


def test_city_fills_local_average_from_reference(capsys, tmp_path):
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps({"cities": {"testville": {
        "local_avg_monthly": {"2023": 12000}, "min_wage_monthly": {"2020-01-01": 2500},
        "min_wage_known_through": 2025}}}), encoding="utf-8")
    argv = ["--ground", "circumstances", "--hired", "2008-03-01", "--last-day", "2024-12-31",
            "--avg-wage", "45000", "--city", "TestVille", "--reference", str(reference)]
    result = invoke_json(capsys, *argv)
    assert result["capped"] and result["compensation"] == 432000
    floored = invoke_json(capsys, *argv[:7], "1000", *argv[8:])
    assert floored["base"] == 2500


@pytest.mark.parametrize(
    ("argv", "en", "zh"),
    [
        (["--ground", "incompetent", "--hired", "2024-02-30", "--last-day", "2024-06-30",
          "--avg-wage", "1"], "--hired: '2024-02-30' is not a date", "--hired 的日期"),
        (["--ground", "incompetent", "--hired", "2024-06-30", "--last-day", "2024-01-01",
          "--avg-wage", "1"], "before the hire date", "早于入职日期"),
        (["--ground", "incompetent", "--hired", "2024-01-01", "--last-day", "2024-06-30",
          "--avg-wage", "-5"], "--avg-wage: '-5' is not an amount", "--avg-wage 的金额"),
        (["--ground", "incompetent", "--hired", "2024-01-01", "--last-day", "2024-06-30",
          "--avg-wage", "lots"], "--avg-wage: 'lots'", "--avg-wage 的金额"),
        (["--ground", "incompetent", "--hired", "2024-01-01", "--last-day", "2024-06-30",
          "--avg-wage", "9" * 40], "is more than 100,000,000", "超过 100,000,000"),
        (["--ground", "incompetent", "--hired", "2024-01-01", "--last-day", "2024-06-30",
          "--avg-wage", "1e400"], "--avg-wage: '1e400' is more than", "“1e400”超过"),
        (["--ground", "resign", "--hired", "2024-01-01", "--last-day", "2024-06-30",
          "--avg-wage", "1"], "--ground: invalid value 'resign'", "--ground 的值"),
        (["--hired", "2024-01-01", "--last-day", "2024-06-30", "--avg-wage", "1"],
         "missing required option --ground", "缺少必填选项 --ground"),
        (["--ground", "mutual", "--proposed-by", "boss", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "--proposed-by", "--proposed-by"),
        (["--ground", "mutual", "--probation-months", "two", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "--probation-months", "整数"),
        (["--ground", "mutual", "--city", "atlantis", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "no city 'atlantis'", "没有城市"),
        (["--ground", "expiry", "--contract-end", "2024-13-01", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "--contract-end", "--contract-end"),
        (["--ground", "retirement", "--retirement-category", "robot", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "--retirement-category",
         "--retirement-category"),
        (["--ground", "circumstances", "--union", "maybe", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "--union", "--union"),
        (["--ground", "layoff", "--headcount", "10", "--reduced", "12", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "exceeds the headcount", "超过职工总数"),
        (["--ground", "expiry", "--work-injury-grade", "11", "--hired", "2024-01-01",
          "--last-day", "2024-06-30", "--avg-wage", "1"], "1–10", "1–10"),
        (["--ground", "expiry", "--contract-start", "2024-06-01", "--contract-end", "2024-01-01",
          "--hired", "2024-01-01", "--last-day", "2024-06-30", "--avg-wage", "1"],
         "before its start", "早于合同开始日期"),
    ],
)
def test_bad_input_exits_2_with_a_localized_message(capsys, argv, en, zh):
    status, out, err = invoke(capsys, *argv, "--lang", "en")
    assert status == 2 and out == "" and en in err and "Traceback" not in err
    status, _, err = invoke(capsys, *argv)
    assert status == 2 and zh in err


def test_unreadable_reference_file_exits_2(capsys, tmp_path):
    broken = tmp_path / "ref.json"
    broken.write_text("[1, 2]", encoding="utf-8")
    status, _, err = invoke(capsys, *T1, "--city", "x", "--reference", str(broken),
                            "--lang", "en")
    assert status == 2 and "cannot read the reference data" in err


def test_python_m_bot_settlement_subprocess(tmp_path):
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "bot", "settlement"]
    done = subprocess.run([*command, *T1, "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["n"], result["total"]) == (5.5, 78500)
    bad = subprocess.run([*command, "--ground", "mutual", "--hired", "2024-13-01", "--last-day",
                          "2024-06-30", "--avg-wage", "1", "--lang", "en"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "--hired" in bad.stderr and "Traceback" not in bad.stderr


def test_expiry_text_says_the_contract_ends_not_rescinded(capsys):
    status, out, _ = invoke(capsys, *VECTORS["T12"][0])
    assert status == 0
    assert out.startswith("终止依据：劳动合同期满（《劳动合同法》第44条第1项）")
    assert "终止劳动合同证明书" in out and "解除劳动合同证明书" not in out  # deadlines say both
