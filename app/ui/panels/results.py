"""The results: the request timeline, the table of requests, the history of runs, and the tasks.

Four tabs, fed by the controller. The timeline draws each request as a bar on the run's clock;
the Requests tab lists them, with the whole URL and reason of the selected row written out
below (a table column cuts long errors short); History keeps the session's runs and compares two
on one time scale.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QScrollArea, QSplitter, QTabWidget, QToolButton, QVBoxLayout, QWidget

from app.core.lessons import Lesson
from app.core.run import Run, RunSummary
from app.core.timeline import describe
from app.i18n import N_, _
from app.ui.controller import LabController
from app.ui.panels.tasks import TasksPanel
from app.ui.widgets.history import HistoryModel, HistoryView, RunComparison
from app.ui.widgets.results_table import ResultsModel, ResultsTable
from app.ui.widgets.timeline import TimelineLegend, TimelineWidget

FREEZING_NOW = N_("Running on the GUI thread: the window will freeze now. The bars appear when it comes back.")
NO_ROW_CHOSEN = N_("Click a row to read its whole URL and what happened to it.")
"""Both shown as ``_(...)``."""


def timeline_placeholder(lesson: Lesson | None) -> str:
    """What the empty timeline says while a run (or a lesson) has drawn no bar yet."""
    if lesson is None:
        return _("Press Run: each request will appear here as a bar on a shared time axis.")
    if lesson.id == "thread":
        return _("requests.get() is not traced, so no bars here: a freeze of the window shows as a red band.")
    if lesson.id in ("sleep", "cpu"):
        return _("This lesson's code makes no HTTP requests: a freeze of the window shows as a red band.")
    return _("The lesson's requests appear here as they are made.")


class ResultsPanel(QTabWidget):
    """Timeline, Requests and History; :attr:`last_run` is the latest finished run."""

    def __init__(self, controller: LabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultTabs")
        self.setAccessibleName(_("Results: timeline, requests and history"))
        self.last_run: RunSummary | None = None

        self.timeline = TimelineWidget(self)
        self.timeline.setToolTip(
            _("Hover a bar (or press Up and Down) for its details. Ctrl + mouse wheel (or + and -) zooms the time axis; 0 fits.")
        )
        self.timeline_panel = QWidget(self)
        timeline_layout = QVBoxLayout(self.timeline_panel)
        timeline_layout.setContentsMargins(4, 4, 4, 4)
        timeline_layout.addWidget(TimelineLegend(self.timeline_panel))
        timeline_layout.addWidget(self.timeline, 1)
        # The zoom buttons sit beside the tabs, so the legend has the whole width for itself.
        self.zoom_buttons = QWidget(self)
        zoom = QHBoxLayout(self.zoom_buttons)
        zoom.setContentsMargins(0, 0, 4, 2)
        for text, tip, action in (
            ("−", _("Zoom out (-)"), lambda: self.timeline.zoom_by(1 / 1.5)),
            ("+", _("Zoom in (+, or Ctrl + mouse wheel)"), lambda: self.timeline.zoom_by(1.5)),
            (_("Fit"), _("Show the whole run (0)"), self.timeline.fit),
        ):
            button = QToolButton(self.zoom_buttons)
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.clicked.connect(action)
            zoom.addWidget(button)
        self.setCornerWidget(self.zoom_buttons, Qt.Corner.TopRightCorner)

        self.results_model = ResultsModel(self)
        self.results_table = ResultsTable(self.results_model, self)
        # A read-only text box, not a label: a long URL wraps anywhere (a label cannot break a word
        # and would widen the window), everything can be selected and copied, and it scrolls.
        self.row_details = QPlainTextEdit(self)
        self.row_details.setObjectName("rowDetails")
        self.row_details.setReadOnly(True)
        self.row_details.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.row_details.setPlainText(_(NO_ROW_CHOSEN))
        self.row_details.setFixedHeight(self.row_details.fontMetrics().lineSpacing() * 4 + 12)
        self.row_details.setAccessibleName(_("The chosen request: its whole URL and what happened"))
        self.requests_panel = QWidget(self)
        requests_layout = QVBoxLayout(self.requests_panel)
        requests_layout.setContentsMargins(0, 0, 0, 0)
        requests_layout.addWidget(self.results_table, 1)
        requests_layout.addWidget(self.row_details)

        self.history_model = HistoryModel(self)
        self.history_view = HistoryView(self.history_model, self)
        self.comparison = RunComparison(self)
        self.history_panel = QSplitter(Qt.Orientation.Horizontal, self)
        self.history_panel.addWidget(self.history_view)
        # On a short screen the two timelines and their words scroll rather than overlap.
        comparison_area = QScrollArea(self.history_panel)
        comparison_area.setObjectName("comparisonArea")
        comparison_area.setAccessibleName(_("The two chosen runs compared on one time scale"))
        comparison_area.setWidget(self.comparison)
        comparison_area.setWidgetResizable(True)
        comparison_area.setFrameShape(QFrame.Shape.NoFrame)
        comparison_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_panel.addWidget(comparison_area)
        self.history_panel.setStretchFactor(0, 1)
        self.history_panel.setStretchFactor(1, 2)
        self.history_panel.setChildrenCollapsible(False)

        self.addTab(self.timeline_panel, _("Timeline"))
        self.addTab(self.requests_panel, _("Requests"))
        self.addTab(self.history_panel, _("History"))
        self.tasks_panel = TasksPanel(controller, self)
        self.addTab(self.tasks_panel, _("Tasks"))
        # The replay's moment is a line across the timeline too.
        self.tasks_panel.moment_changed.connect(self._on_tasks_moment_changed)

        self.currentChanged.connect(lambda _index: self.zoom_buttons.setVisible(self.currentWidget() is self.timeline_panel))
        self.history_view.chosen_changed.connect(self.comparison.show_runs)
        self.results_table.selectionModel().selectionChanged.connect(self._on_results_table_selection_changed)
        controller.run_started.connect(self._on_controller_run_started)
        controller.records_changed.connect(self._on_controller_records_changed)
        controller.about_to_block.connect(self._on_controller_about_to_block)
        controller.run_finished.connect(self._on_controller_run_finished)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        # The results take the height the right column leaves them, and scroll. Asked for the
        # height their page wants at its width (372 px for the timeline's, in presentation mode at
        # 1366 x 768), the column had more to share out than it has and squeezed the report above
        # below what its words need: in French and German its details fell out of it in about
        # half the runs (a lateness sentence that wraps, 17 px more for the liveness panel).
        return False

    def _on_controller_run_started(self, run: Run) -> None:
        self.results_model.show_run(run)
        self.timeline.set_placeholder(timeline_placeholder(run.request.lesson if run.request is not None else None))
        self.timeline.show_run(run)
        self.row_details.setPlainText(_(NO_ROW_CHOSEN))
        if self.currentWidget() is self.history_panel:
            self.setCurrentWidget(self.timeline_panel)  # the new run is drawn on the timeline

    def _on_controller_about_to_block(self, _run: Run) -> None:
        self.timeline.set_overlay(_(FREEZING_NOW))

    def _on_controller_records_changed(self, rows: list[int]) -> None:
        self.results_model.refresh_rows(rows)
        self.timeline.refresh(rows)
        chosen = self._chosen_row()
        if chosen is not None and (found := bisect.bisect_left(rows, chosen)) < len(rows) and rows[found] == chosen:
            self._show_row_details()  # the chosen request moved on: "Under way…" becomes its answer

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        self.results_model.show_records(summary.records)
        self.timeline.show_summary(summary)
        self.last_run = summary
        self.history_model.add(summary)
        # The two latest runs side by side, ready to compare (the user can choose others).
        rows = self.history_model.rowCount()
        self.history_view.choose(list(range(max(0, rows - 2), rows)))
        self._show_row_details()

    def _on_tasks_moment_changed(self, moment: float | None) -> None:
        self.timeline.scene.cursor = moment
        self.timeline.viewport().update()

    def _chosen_row(self) -> int | None:
        rows = self.results_table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _show_row_details(self) -> None:
        """The chosen request in full: its whole URL, its answer or error, and its phase times."""
        chosen = self._chosen_row()
        text = _(NO_ROW_CHOSEN) if chosen is None else describe(self.results_model.record(chosen))
        if text != self.row_details.toPlainText():
            self.row_details.setPlainText(text)

    def _on_results_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_row_details()
