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
    # The first stall is outside; the second began (1.04) just before the window and counts from 1.05.
    assert log.longest_lateness(1.05, 1.54) == pytest.approx(0.48)
    assert log.longest_lateness(1.02, 1.03) == pytest.approx(0.0)


def test_a_freeze_still_under_way_counts_before_the_next_tick() -> None:
    # Asked right after a blocking call returns: the heartbeat has not ticked again yet.
    log = HeartbeatLog(interval=0.016)
    ticks(log, [0.0, 0.016, 0.032])
    assert log.longest_lateness(0.0, 2.048) == pytest.approx(2.0)


def test_freezes_are_the_stalls_above_the_threshold_with_their_spans() -> None:
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 0.03, 1.01, 1.02, 1.52, 1.53])
    freezes = log.freezes(0.0, 1.53)
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


# --- a stall that began before the window asked about ----------------------------------------


@pytest.mark.parametrize(
    ("lateness", "word"),
    [(0.0, "smooth"), (0.016, "smooth"), (0.017, "a slight stutter"), (0.0494, "a slight stutter"), (0.0495, "frozen"), (0.064, "frozen"), (3.0, "frozen")],
)
def test_one_set_of_words_for_lateness_with_frozen_at_the_long_task_line(lateness: float, word: str) -> None:
    from app.core.lag import FROZEN, is_frozen, liveness

    assert FROZEN == pytest.approx(0.050)
    assert liveness(lateness).value == word
    assert is_frozen(lateness) is (word == "frozen")  # judged on the millisecond shown: "50 ms" is frozen


def test_a_stall_that_began_before_start_counts_only_from_start() -> None:
    # The thread stalled from 0.02 s (when the tick after 0.01 was due) to 1.01 s; a run that
    # began at 0.5 s was frozen for the 0.51 s of it that it saw, not for the whole 0.99 s.
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 1.01, 1.02, 1.03])
    assert log.longest_lateness(0.0, 1.03) == pytest.approx(0.99)  # all of it when it is all inside
    assert log.longest_lateness(0.5, 1.03) == pytest.approx(0.51)
    assert log.longest_lateness(1.0, 1.03) == pytest.approx(0.01)
    assert log.longest_lateness(0.02, 1.03) == pytest.approx(0.99)  # from when the tick was due: no clipping


def test_a_stall_before_start_that_is_still_under_way_counts_from_start() -> None:
    # No tick since 0.01 s: the stall is open at ``end`` and began long before ``start``.
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01])
    assert log.longest_lateness(0.6, 1.0) == pytest.approx(0.4)
    assert log.longest_lateness(0.0, 1.0) == pytest.approx(0.98)


def test_a_stall_before_start_does_not_hide_a_longer_one_inside() -> None:
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 2.01, 2.02, 2.03, 2.33, 2.34])  # 1.99 s, then 0.29 s
    assert log.longest_lateness(1.9, 2.34) == pytest.approx(0.29)  # the first stall's 0.11 s inside is shorter
    assert log.longest_lateness(1.5, 2.34) == pytest.approx(0.51)  # now it is the longer one


def test_a_stall_that_ended_before_start_is_not_counted() -> None:
    log = HeartbeatLog(interval=0.01)
    ticks(log, [0.0, 0.01, 1.01] + [1.01 + 0.01 * i for i in range(1, 20)])
    assert log.longest_lateness(1.02, 1.2) == pytest.approx(0.0, abs=1e-9)
