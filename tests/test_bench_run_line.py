"""The bench's `run:` line: a run is dated and read beside the machine's load while it ran."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from itertools import count

import pytest

from bench.__main__ import LoadSampler


def test_the_load_is_sampled_as_the_run_starts_and_as_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = count(1)
    monkeypatch.setattr(os, "getloadavg", lambda: (float(next(loads)), 0.0, 0.0))
    with LoadSampler(every=30) as load:
        pass
    assert load.line().endswith("load average (1 min) 1.0–2.0, sampled every 30 s (2 samples)")
    assert load.line().startswith(f"run: {load.started:%Y-%m-%d %H:%M}–{load.ended:%H:%M} UTC; ")


def test_a_system_without_a_load_average_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "getloadavg")
    with LoadSampler() as load:
        pass
    assert load.line().endswith("; load average not available here")


def test_a_run_past_midnight_names_both_days() -> None:
    load = LoadSampler()
    load.started = datetime(2026, 12, 7, 23, 55, tzinfo=UTC)
    load.ended = datetime(2026, 12, 8, 0, 5, tzinfo=UTC)
    assert load.line().startswith("run: 2026-12-07 23:55–2026-12-08 00:05 UTC")
