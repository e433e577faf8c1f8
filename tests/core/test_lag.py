"""Heartbeat statistics: lateness, the longest freeze in a window, and freeze spans."""

from __future__ import annotations

import pytest

from app.core.lag import HeartbeatLog


def ticks(log: HeartbeatLog, times: list[float]) -> list[float]:
    return [log.record(t) for t in times]


def test_ticks_on_time_are_not_late() -> None:
    log = HeartbeatLog(interval=0.016)
    lateness = ticks(log, [i * 0.016 for i in range(100)])
    assert max(lateness) == pytest.approx(0.0, abs=1e-9)
    assert log.longest_lateness(0.0, 99 * 0.016) == pytest.approx(0.0, abs=1e-9)


def test_a_late_tick_reports_how_late_it_was() -> None:
    log = HeartbeatLog(interval=0.016)
    assert ticks(log, [0.0, 0.016, 2.032]) == pytest.approx([0.0, 0.0, 2.0])


def test_early_ticks_never_count_as_negative_lateness() -> None:
    log = HeartbeatLog(interval=0.016)
    assert ticks(log, [0.0, 0.010]) == [0.0, 0.0]


def test_longest_lateness_only_looks_inside_the_window() -> None:
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 1.01, 1.02, 1.03, 1.53, 1.54])  # 0.99 s stall, then a 0.49 s stall
    assert log.longest_lateness(0.0, 1.54) == pytest.approx(0.99)
    assert log.longest_lateness(1.05, 1.54) == pytest.approx(0.49)  # the first stall is outside
    assert log.longest_lateness(1.02, 1.03) == pytest.approx(0.0)


def test_a_freeze_still_under_way_counts_before_the_next_tick() -> None:
    # Asked right after a blocking call returns: the heartbeat has not ticked again yet.
    log = HeartbeatLog(interval=0.016)
    ticks(log, [0.0, 0.016, 0.032])
    assert log.longest_lateness(0.0, 2.048) == pytest.approx(2.0)


def test_freezes_are_the_stalls_above_the_threshold_with_their_spans() -> None:
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 0.03, 1.01, 1.02, 1.52, 1.53])
    freezes = log.freezes(0.0, 1.53, threshold=0.05)
    assert [(round(f.start, 3), round(f.end, 3)) for f in freezes] == [(0.04, 1.01), (1.03, 1.52)]
    assert freezes[0].duration == pytest.approx(0.97)


def test_the_log_keeps_only_recent_ticks() -> None:
    log = HeartbeatLog(interval=0.01, capacity=10)
    ticks(log, [i * 0.01 for i in range(50)])
    assert len(log) == 10
    assert log.last_tick == pytest.approx(0.49)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HeartbeatLog(interval=0)
