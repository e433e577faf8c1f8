"""The X-ray in the window: the Tasks tab live and in replay, the timeline's lanes, the View switch."""

from __future__ import annotations

import time
from typing import Any

import qasync

from app.core.task_trace import TaskRow, TaskState
from app.ui.main_window import MainWindow
from app.ui.panels.tasks import XRAY_OFF, TasksModel, count_words
from tests.ui.conftest import until
from tests.ui.test_lessons import FAST, choose, run_lesson


def waiting_on_io(rows: list[TaskRow]) -> list[TaskRow]:
    return [row for row in rows if row.state is TaskState.IO]


def test_the_tasks_tab_shows_the_gather_lessons_tasks_waiting_on_io_mid_run(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "gather", scale=FAST)
    panel = lab.results.tasks_panel
    lab.results.setCurrentWidget(panel)  # a hidden Tasks tab is not kept up to date: it catches up when shown
    seen: list[int] = []

    async def scenario() -> None:
        lab.start_run()
        await until(lambda: len(waiting_on_io(panel.rows())) >= 10, timeout=5, what="10 tasks waiting on I/O in the Tasks tab")
        seen.append(len(waiting_on_io(panel.rows())))
        assert "waiting on I/O" in panel.counts.text()
        await until(lambda: not lab.controller.running, timeout=10, what="the end of the run")

    loop.run_until_complete(scenario())
    assert seen and seen[0] >= 10
    assert panel.view.model().rowCount() == len(panel.rows())
    # After the run: the slider replays it, starting at the end (every task done).
    assert panel.slider.isEnabled()
    # (The run's own task, which awaited main(), is still ending its run when the trace is taken.)
    fetches = [row for row in panel.rows() if row.name.startswith("fetch")]
    assert len(fetches) >= 10 and all(row.state is TaskState.DONE for row in fetches)


def test_a_hidden_tasks_tab_catches_up_when_shown(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "gather", scale=FAST)
    panel = lab.results.tasks_panel
    assert not panel.isVisible()

    async def scenario() -> None:
        lab.start_run()
        await until(lambda: len(lab.controller.tracer.live_rows()) >= 10 if lab.controller.tracer else False, timeout=5)
        assert panel.rows() == []  # behind the Timeline tab: not worked on
        lab.results.setCurrentWidget(panel)
        assert len(panel.rows()) >= 10  # at once, not at the next live refresh
        await until(lambda: not lab.controller.running, timeout=10, what="the end of the run")

    loop.run_until_complete(scenario())


def test_a_hidden_tasks_tab_makes_a_finished_runs_rows_only_when_shown(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    # A run of 1000 tasks ended ~10 ms later for rows nobody was looking at.
    choose(lab, qtbot, "gather", scale=FAST)
    panel = lab.results.tasks_panel
    assert not panel.isVisible()
    run_lesson(lab, loop)
    assert panel.model.rows() == [], "made behind the Timeline tab"
    lab.results.setCurrentWidget(panel)
    fetches = [row for row in panel.model.rows() if row.name.startswith("fetch")]
    assert len(fetches) >= 10 and all(row.state is TaskState.DONE for row in fetches)
    assert panel.counts.text() and panel.moment.text()


def test_at_the_end_of_a_url_run_every_task_shows_how_it_ended(lab: MainWindow, demo_server: Any, loop: qasync.QEventLoop) -> None:
    # The run's wall time is taken when its last request ends, a moment before the workers and
    # the run's own task return: read at that moment, one of them still looked "waiting on I/O".
    lab.source.url_edit.setPlainText("\n".join(f"{demo_server.url}/delay/0.2?n={i}" for i in range(20)))
    panel = lab.results.tasks_panel
    lab.results.setCurrentWidget(panel)
    for _ in range(3):
        loop.run_until_complete(lab.run_once())
        rows = panel.rows()
        assert len(rows) == 21 and all(row.state is TaskState.DONE for row in rows), [(r.name, r.state) for r in rows]
        assert panel.counts.text() == count_words(rows) and "21 done" in panel.counts.text()


def test_replay_and_lanes_of_the_sequential_lesson(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    choose(lab, qtbot, "sequential", scale=FAST)
    summary, _probe = run_lesson(lab, loop)
    assert summary.trace is not None
    panel = lab.results.tasks_panel
    # Replay at 1 s (at the tutorial's scale) into the run: main awaits fetch_data, which waits on the network.
    panel.replay_at(1.0 * FAST)
    assert lab.results.timeline.scene.cursor is not None
    assert abs(lab.results.timeline.scene.cursor - 1.0 * FAST) < 0.01
    assert any("fetch_data" in row.awaiting for row in panel.rows()), panel.rows()
    # The timeline: a loop lane, then fetch_data (about 2 s) followed by process (about 3 s).
    lanes = lab.results.timeline.scene.lanes
    assert lanes and lanes[0].label == "event loop"
    steps = {name: (start, end) for lane in lanes[1:] for start, end, name in lane.bars}
    assert {"fetch_data", "process"} <= steps.keys(), steps
    (fetch_start, fetch_end), (process_start, process_end) = steps["fetch_data"], steps["process"]
    assert abs((fetch_end - fetch_start) - 2 * FAST) < 0.2 * 2 * FAST
    assert abs((process_end - process_start) - 3 * FAST) < 0.1 * 3 * FAST
    assert process_start >= fetch_end - 0.01
    # The lanes are drawn above the request rows: the request under a lane is not a request.
    assert len(lab.results.timeline.records) == 1 and lab.results.timeline.scene.row_count() == len(lanes) + 1


def test_the_view_menus_switch_turns_the_x_ray_off(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    action = lab.named_actions["xrayAction"]
    assert action.isChecked() and lab.controller.xray_enabled
    action.trigger()
    assert not action.isChecked() and not lab.controller.xray_enabled
    choose(lab, qtbot, "sleep", scale=FAST, blocking=False)
    summary, _probe = run_lesson(lab, loop)
    assert summary.trace is None
    assert lab.results.tasks_panel.counts.text() == XRAY_OFF
    assert lab.results.timeline.scene.lanes == []
    action.trigger()
    assert lab.controller.xray_enabled


def test_a_thousand_tasks_are_one_cheap_model() -> None:
    rows = [TaskRow(task_id=n, name=f"Task-{n}", state=TaskState.IO, awaiting="fetch:12", since=0.5) for n in range(1000)]
    model = TasksModel()
    started = time.perf_counter()
    for step in range(10):
        model.show_rows(rows, 1.0 + step)
    took = time.perf_counter() - started
    assert model.rowCount() == 1000
    assert model.data(model.index(999, 3)) == "9.50 s"  # the last refresh: 10 s - 0.5 s
    assert took < 0.5  # ten refreshes of 1000 rows: the model holds rows, the view draws only what is in sight
    assert count_words(rows) == "1000 tasks: 1000 waiting on I/O"


def test_a_lesson_with_no_requests_still_draws_its_lanes(lab: MainWindow, qtbot: Any, loop: qasync.QEventLoop) -> None:
    # Review find: with no request and no freeze the timeline drew only its placeholder.
    from PySide6.QtGui import QColor

    from app.ui.widgets.timeline import STEP_COLOUR

    choose(lab, qtbot, "thread", scale=FAST, blocking=False)
    summary, _probe = run_lesson(lab, loop)
    assert len(summary.records) == 0 and summary.trace is not None
    timeline = lab.results.timeline
    assert len(timeline.scene.lanes) >= 2
    names = {name for lane in timeline.scene.lanes[1:] for _start, _end, name in lane.bars}
    assert any("to_thread" in name for name in names), names
    loop.run_until_complete(until(lambda: timeline.isVisible()))
    image = timeline.viewport().grab().toImage()
    painted = sum(
        QColor(image.pixel(x, y)) == STEP_COLOUR for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)
    )
    assert painted > 20
