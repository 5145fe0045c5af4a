"""`python -m bot calendar import FILE`: JSON and CSV arrangements into the calendar data file."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from bot.bootstrap import load_arrangements
from bot.cli import CommandError
from bot.cli import calendar as calendar_cli
from workflow.calendar import WorkCalendar

SAMPLE = {"holidays": ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 14))],
          "workdays": ["2027-02-20"], "source": "test sample, not the official notice"}


def invoke(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="bot")
    calendar_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calendar", *argv])
    return args.func(args)


def test_import_json_then_the_calendar_counts_with_it(tmp_path: Path, capsys):
    source, data = tmp_path / "2027.json", tmp_path / "calendar.json"
    source.write_text(json.dumps(SAMPLE), encoding="utf-8")
    before = WorkCalendar(arrangements=load_arrangements(str(data)))
    assert before.is_provisional(date(2027, 2, 9)) and before.is_working_day(date(2027, 2, 9))
    assert invoke("import", str(source), "--data", str(data)) == 0
    assert "loaded 2027: 10 days off, 1 make-up working days" in capsys.readouterr().out
    after = WorkCalendar(arrangements=load_arrangements(str(data)))
    assert not after.is_provisional(date(2027, 2, 9)) and not after.is_working_day(date(2027, 2, 9))
    stored = json.loads(data.read_text(encoding="utf-8"))
    assert stored["years"]["2027"]["workdays"] == ["2027-02-20"]


def test_import_csv_and_refuse_to_overwrite_without_replace(tmp_path: Path):
    source, data = tmp_path / "2027.csv", tmp_path / "calendar.json"
    source.write_text("date,kind\n# Spring Festival\n2027-02-05,holiday\n2027-02-06,休\n"
                      "2027-02-20,workday\n", encoding="utf-8")
    assert invoke("import", str(source), "--data", str(data)) == 0
    with pytest.raises(CommandError, match="already loaded"):
        invoke("import", str(source), "--data", str(data))
    assert invoke("import", str(source), "--data", str(data), "--replace") == 0
    loaded = load_arrangements(str(data))[2027]
    assert loaded.holidays == {date(2027, 2, 5), date(2027, 2, 6)}


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("bad.csv", "2027-02-05,party\n", "line 1"),
    ("bad.csv", "2027-02-08,workday\n2027-02-05,holiday\n", "weekday"),
    ("bad.json", "[1]", "expected an object"),
    ("bad.json", "{", "not JSON"),
])
def test_a_bad_file_is_refused_and_nothing_is_written(tmp_path: Path, name, text, reason):
    source, data = tmp_path / name, tmp_path / "calendar.json"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=reason):
        invoke("import", str(source), "--data", str(data))
    assert not data.exists()


def test_the_shipped_calendar_data_loads():
    assert isinstance(load_arrangements("config/calendar-cn.json"), dict)


def test_python_m_bot_calendar_import(tmp_path: Path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    python = root / ".venv" / "bin" / "python"
    source, data = tmp_path / "bad.csv", tmp_path / "calendar.json"
    source.write_text("2027-02-08,workday\n2027-02-05,holiday\n", encoding="utf-8")
    command = [str(python if python.exists() else sys.executable), "-m", "bot", "calendar",
               "import", str(source), "--data", str(data)]
    bad = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60,
                         check=False)
    assert bad.returncode == 2 and "weekday" in bad.stderr and "Traceback" not in bad.stderr
    source.write_text("2027-02-05,holiday\n", encoding="utf-8")
    good = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60,
                          check=False)
    assert good.returncode == 0, good.stderr
    assert json.loads(data.read_text(encoding="utf-8"))["years"]["2027"]["holidays"] == [
        "2027-02-05"]


def test_the_documented_sample_imports(tmp_path: Path):
    sample = Path(__file__).resolve().parents[2] / "examples" / "holiday-arrangement.sample.csv"
    data = tmp_path / "calendar.json"
    assert invoke("import", str(sample), "--data", str(data)) == 0
    assert load_arrangements(str(data))[2027].workdays == {date(2027, 2, 20)}
