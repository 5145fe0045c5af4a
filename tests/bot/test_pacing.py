"""The pace kept per destination: a burst, then one post per interval; a 429's hold, per key; both
on the clock they are given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.pacing import Holds, Pacer, Room, Window
from workflow.clock import ManualClock

START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def test_a_channel_takes_its_burst_then_one_a_second_and_others_are_apart() -> None:
    clock = ManualClock(START)
    pacer = Pacer(clock, per_second=1.0, burst=3)
    assert pacer.room("C1") == Room(3, 0.0)
    assert [pacer.take("C1") for _ in range(3)] == [None, None, None]
    assert pacer.take("C1") == pytest.approx(1.0)
    assert pacer.room("C1") == Room(0, pytest.approx(1.0))
    assert pacer.take("C2") is None  # another channel has its own pace
    clock.advance(timedelta(milliseconds=400))
    assert pacer.take("C1") == pytest.approx(0.6)
    clock.advance(timedelta(milliseconds=600))
    assert pacer.take("C1") is None and pacer.take("C1") == pytest.approx(1.0)
    clock.advance(timedelta(minutes=5))  # idle: the burst is back, never more
    assert pacer.room("C1") == Room(3, 0.0)


def test_a_hold_lasts_its_seconds_for_its_key_only() -> None:
    clock = ManualClock(START)
    holds = Holds(clock)
    holds.hold(("T1", "chat.update"), 7)
    assert holds.left(("T1", "chat.update")) == pytest.approx(7)
    assert holds.left(("T1", "chat.postMessage")) is None
    assert holds.left(("T2", "chat.update")) is None
    holds.hold(("T1", "chat.update"), 2)  # a shorter wait does not cut a longer one
    clock.advance(timedelta(seconds=6))
    assert holds.left(("T1", "chat.update")) == pytest.approx(1)
    clock.advance(timedelta(seconds=1))
    assert holds.left(("T1", "chat.update")) is None


def test_a_window_takes_its_limit_in_any_span_and_counts_each_post_of_a_batch() -> None:
    clock = ManualClock(START)
    window = Window(clock, limit=3, seconds=60)
    assert window.take("wangfang", 2) is None
    clock.advance(timedelta(seconds=10))
    assert window.take("wangfang") is None
    assert window.take("wangfang") == pytest.approx(50)  # the first two leave the window at 60 s
    assert window.take("zhao", 3) is None  # another member has a window of their own
    clock.advance(timedelta(seconds=50))
    assert window.take("wangfang", 2) is None
    assert window.take("wangfang") == pytest.approx(10)


def test_a_pace_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError):
        Pacer(ManualClock(START), per_second=0, burst=1)
    with pytest.raises(ValueError):
        Pacer(ManualClock(START), per_second=1, burst=0)
