"""`python -m bot demo --ground expiry` runs a whole expiry case (T11: renewal on the same terms declined)
and says 终止 (the contract ends), never 解除, in what the employee is given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_expiry_demo_runs_a_case_from_open_to_closed() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--ground", "expiry"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    milestones = ["证据已齐全", "待审核：案件 C-0001", "第46条第5项", "应付合计：0.00", "《终止劳动合同通知书》第 1 版",
                  "依法终止，并非公司解除", "» as alice: 签署 C-0001", "出具解除/终止劳动合同证明书",
                  "== C-0001: closed (completed)"]
    positions = [out.find(m) for m in milestones]
    assert all(p >= 0 for p in positions), [m for m, p in zip(milestones, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "《解除劳动合同通知书》" not in out and "Traceback" not in done.stderr


def test_an_unknown_ground_is_refused_by_the_options() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--ground", "astrology"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "--ground" in done.stderr
