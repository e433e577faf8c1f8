"""The Tasks tab: every asyncio task of the run, what state it is in and what it awaits, live while
the run goes on and, after it, at any moment of the run (the replay slider).

Live, the table is refreshed five times a second from the controller's task tracer; afterwards
it reads the run's recorded trace at the slider's moment, and the timeline draws that moment as
a line. A run of 1000 tasks is 1000 rows of one model (the view draws only the rows in sight)
and one line of counts by state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QSlider, QTableView, QVBoxLayout, QWidget

from app.core.run import Run, RunSummary
from app.core.task_trace import TaskRow, TaskState, TaskTrace
from app.core.units import format_duration
from app.i18n import N_, _, ngettext
from app.ui import plain_text
from app.ui.controller import LabController
from app.ui.widgets import rows_follow_font

COLUMNS = (N_("Task"), N_("State"), N_("Awaiting now"), N_("For"))
"""The column headers, shown as ``_(...)``."""
LIVE_MS = 200
"""How often the table follows a run under way (5 Hz)."""
SLIDER_STEPS = 1000
NO_TASKS = N_("No asyncio tasks yet: they appear here while an async run or a lesson runs.")
XRAY_OFF = N_("The event-loop X-ray is off (View menu): no tasks are traced.")
NOT_TRACED = N_("A blocking run makes no asyncio tasks: requests.get() runs on the GUI thread itself.")


def count_words(rows: Sequence[TaskRow]) -> str:
    """'12 tasks: 10 waiting on I/O, 2 done', in the order of TaskState."""
    if not rows:
        return _(NO_TASKS)
    counts = Counter(row.state for row in rows)
    parts = [f"{counts[state]} {state.label}" for state in TaskState if counts[state]]
    return ngettext("{n} task: {states}", "{n} tasks: {states}", len(rows)).format(n=len(rows), states=", ".join(parts))


class TasksModel(QAbstractTableModel):
    """The task rows at one moment: the live run's now, or a replayed moment of a finished run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TaskRow] = []
        self._now = 0.0

    def show_rows(self, rows: Sequence[TaskRow], now: float) -> None:
        """Shows ``rows`` as they are at run-clock time ``now`` (for the "For" column)."""
        rows = list(rows)
        self._now = now
        if len(rows) != len(self._rows):
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        else:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))

    def rows(self) -> list[TaskRow]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802 - Qt's name
        if role == Qt.ItemDataRole.DisplayRole and orientation is Qt.Orientation.Horizontal:
            return _(COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        row = self._rows[index.row()]
        # Item views draw their text themselves: a task's name is never read as markup here.
        return (row.name, row.state.label, row.awaiting or "–", format_duration(max(0.0, self._now - row.since)))[index.column()]


class TasksPanel(QWidget):
    """``tasksView`` with a line of counts, and the replay slider for a finished run."""

    moment_changed = Signal(object)  # run-clock seconds the slider points at, or None (live / no trace)

    def __init__(self, controller: LabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tasksPanel")
        self._controller = controller
        self._run: Run | None = None
        self._trace: TaskTrace | None = None
        self._span = 0.0
        self.model = TasksModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("tasksView")
        self.view.setAccessibleName(_("The run's asyncio tasks: state and what each awaits"))
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        rows_follow_font(self.view, 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.counts = plain_text.wrapped_label(_(NO_TASKS), self, name="taskCounts")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("replaySlider")
        self.slider.setAccessibleName(_("Replay: the moment of the run the tasks are shown at"))
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setEnabled(False)
        self.moment = plain_text.label(_("Live"), self, name="replayMoment")
        widest = _("Moment: {time} of {total}").format(time="00.00 s", total="00.00 s")
        self.moment.setMinimumWidth(self.moment.fontMetrics().horizontalAdvance(widest) + 8)
        replay = QHBoxLayout()
        replay.addWidget(plain_text.label(_("Replay:"), self))
        replay.addWidget(self.slider, 1)
        replay.addWidget(self.moment)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.counts)
        layout.addWidget(self.view, 1)
        layout.addLayout(replay)

        self._rows_due = False  # a finished run's rows at the slider's moment, not made yet (hidden)
        self._live = QTimer(self)
        self._live.setInterval(LIVE_MS)
        self._live.timeout.connect(self._on_live_timeout)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        controller.run_started.connect(self._on_controller_run_started)
        controller.run_finished.connect(self._on_controller_run_finished)

    # --- what tests and the window read ---

    def rows(self) -> list[TaskRow]:
        self._catch_up()
        return self.model.rows()

    def replay_at(self, seconds: float) -> None:
        """Puts the slider at ``seconds`` into the finished run (nothing while one runs)."""
        if self._trace is not None and self._trace.task_count() and self._span > 0:
            self.slider.setValue(round(min(max(seconds / self._span, 0.0), 1.0) * SLIDER_STEPS))

    # --- handlers ---

    def _on_controller_run_started(self, run: Run) -> None:
        self._run, self._trace, self._rows_due = run, None, False
        self.slider.setEnabled(False)
        self.moment.setText(_("Live"))
        self.moment_changed.emit(None)
        self._show([], 0.0)
        if self._controller.tracer is None:  # the X-ray is off, or a blocking URL run (not traced)
            self.counts.setText(_(XRAY_OFF) if not self._controller.xray_enabled else _(NOT_TRACED))
            return
        self._live.start()

    def _on_live_timeout(self) -> None:
        tracer, run = self._controller.tracer, self._run
        if tracer is None or run is None or not self.isVisible():  # behind another tab: shown when it comes back
            return
        self._show(tracer.live_rows(), run.clock())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._live.isActive():
            self._on_live_timeout()  # the tab was behind another one: now, not 200 ms later
        else:
            self._catch_up()

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        self._live.stop()
        self._run = None
        self._trace = summary.trace
        self._span = summary.wall_time
        if self._trace is None or self._trace.task_count() == 0 or self._span <= 0:
            self._show([], 0.0)
            if self._trace is not None:
                self.counts.setText(_("This run made no asyncio tasks to trace."))
            elif not self._controller.xray_enabled:
                self.counts.setText(_(XRAY_OFF))
            else:
                self.counts.setText(_(NOT_TRACED))
            self.moment.setText("")
            return
        self.slider.setEnabled(True)
        # The end of the run first: how every task finished. Drag back to replay it.
        blocker = QSignalBlocker(self.slider)
        self.slider.setValue(SLIDER_STEPS)
        blocker.unblock()
        self._on_slider_value_changed(SLIDER_STEPS)

    def _on_slider_value_changed(self, value: int) -> None:
        if self._trace is None:
            return
        moment = self._span * value / SLIDER_STEPS
        self.moment.setText(_("Moment: {time} of {total}").format(time=format_duration(moment), total=format_duration(self._span)))
        # Behind another tab, the rows are made when it comes forward or is read: a run of 1000
        # tasks ends ~10 ms sooner (the histories are made on first use too).
        self._rows_due = True
        if self.isVisible():
            self._catch_up()
        self.moment_changed.emit(moment)

    def _catch_up(self) -> None:
        if self._rows_due and self._trace is not None:
            self._rows_due = False
            value = self.slider.value()
            moment = self._span * value / SLIDER_STEPS
            if value < SLIDER_STEPS:
                self._show(self._trace.rows_at(moment), moment)
                return
            # The end: how every task ended. The run's wall time is taken when its last request
            # ends, a moment before the workers and the run's own task return: read at that
            # moment, the last of them still looked "waiting on I/O" after the run was over.
            rows = self._trace.rows_at(math.inf)
            self._show(rows, max([moment, *(row.since for row in rows)]))

    def _show(self, rows: Sequence[TaskRow], now: float) -> None:
        self.model.show_rows(rows, now)
        self.counts.setText(count_words(rows))
