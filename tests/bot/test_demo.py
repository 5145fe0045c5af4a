"""`python -m bot demo` tells one whole case and exits 0 only when it closed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_a_case_from_open_to_closed() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    # The journey of PRODUCT.md, in order: evidence prompts, HR review with T1, the ladder, closure.
    milestones = ["请发送第 1 项", "证据已齐全", "待审核：案件 C-0001", "5 + 0.5 = 5.5", "78,500.00",
                  "关于你劳动合同的决定", "3 个工作日内未签署", "已升级：C-0001", "交接事项：工作交接",
                  "到期", "== C-0001: closed (completed)"]
    positions = [out.find(m) for m in milestones]
    assert all(p >= 0 for p in positions), [m for m, p in zip(milestones, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "Traceback" not in done.stderr


def test_demo_help_describes_every_option() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    for option, description in ((r"--ground \{[^}]*\}", "which example case to run"),
                                ("--script FILE", "a script of your own"),
                                ("--people CSV", "the company directory to load first")):
        assert re.search(f"{option} {description}", shown), shown
