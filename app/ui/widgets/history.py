"""Run history: every run of the session as a row, and two chosen runs compared on one time scale.

Clicking rows in the table chooses runs (at most two: a third click lets go of the oldest
choice). With two chosen, their timelines are drawn one above the other with the same seconds
per pixel, and the speed-up (the slower wall time over the faster) is written between them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from app.core import explain
from app.core.run import FetchMode, RunOutcome, RunSummary, format_duration
from app.core.timeline import span
from app.i18n import N_, _, ngettext
from app.ui import look, plain_text
from app.ui.widgets import rows_follow_font
from app.ui.widgets.timeline import TimelineWidget

COLUMNS = (N_("Mode"), N_("URLs"), N_("At once"), N_("Wall time"), N_("Added up"), N_("Freeze"))
"""The column headers, shown as ``_(...)``."""
MODE, URLS, CONCURRENCY, WALL, SUM, FREEZE = range(len(COLUMNS))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

AnyIndex = QModelIndex | QPersistentModelIndex
KEPT_RECORDS = 500_000
"""The history forgets its oldest runs (never the last two) once its runs hold more than this many
requests, X-ray spans and task histories together: each request costs about 100 bytes, and a
class may run 200,000 at a time. So memory stays bounded however many runs a lesson makes."""


def weight(summary: RunSummary) -> int:
    """What a run costs the history to keep, in :data:`KEPT_RECORDS`' units."""
    trace = summary.trace
    return len(summary.records) + (trace.span_count() + trace.task_count() if trace is not None else 0)


class HistoryModel(QAbstractTableModel):
    """The session's finished runs, oldest first (the oldest forgotten past :data:`KEPT_RECORDS`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunSummary] = []

    def add(self, summary: RunSummary) -> None:
        row = len(self._runs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.append(summary)
        self.endInsertRows()
        kept = sum(weight(run) for run in self._runs)
        forget = 0
        while len(self._runs) - forget > 2 and kept > KEPT_RECORDS:
            kept -= weight(self._runs[forget])
            forget += 1
        if forget:
            self.beginRemoveRows(QModelIndex(), 0, forget - 1)
            del self._runs[:forget]
            self.endRemoveRows()

    def summary(self, row: int) -> RunSummary:
        return self._runs[row]

    @property
    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _(COLUMNS[section])
        return _("Run {run}").format(run=self._runs[section].run_id)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run, column = self._runs[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(run, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != MODE:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == MODE:
            return (look.FROZEN if run.mode is FetchMode.BLOCKING else look.ALIVE).on()
        if role == Qt.ItemDataRole.ToolTipRole and run.outcome is not RunOutcome.COMPLETED:
            return plain_text.tooltip(_("This run was {outcome}").format(outcome=run.outcome.label) + (f": {run.error}" if run.error else ""))
        return None


def _cell(run: RunSummary, column: int) -> str:
    if column == MODE:
        suffix = "" if run.outcome is RunOutcome.COMPLETED else f" ({run.outcome.label})"
        return run.mode.short_label + suffix
    if column == URLS:
        return str(len(run.records))
    if column == CONCURRENCY:
        return "1" if run.mode is FetchMode.BLOCKING else str(run.concurrency)
    if column == WALL:
        return format_duration(run.wall_time)
    if column == SUM:
        return format_duration(run.request_time_sum)
    return format_duration(run.longest_freeze)


def run_title(run: RunSummary) -> str:
    ended = "" if run.outcome is RunOutcome.COMPLETED else f" · {run.outcome.label}"
    return " · ".join(
        [
            _("Run {run}").format(run=run.run_id),
            run.mode.label,
            ngettext("{n} URL", "{n} URLs", len(run.records)).format(n=len(run.records)) + ended,
            _("wall {time}").format(time=format_duration(run.wall_time)),
            _("longest freeze {time}").format(time=format_duration(run.longest_freeze)),
        ]
    )


def speedup_text(a: RunSummary, b: RunSummary) -> str:
    """The sentence between two compared timelines (the report says the same of the same runs)."""
    return explain.comparison(a, b)


class HistoryView(QTableView):
    """The history table; click up to two rows to choose runs. Emits the chosen ones, oldest first."""

    chosen_changed = Signal(list)  # list[RunSummary]: 0, 1 or 2 runs, in run order

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setAccessibleName(_("Run history: click two runs to compare them"))
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # A click adds a run or takes it away: no need to know about Ctrl-click.
        self.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        rows_follow_font(self, 10)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MODE, QHeaderView.ResizeMode.Stretch)
        self._order: list[int] = []  # chosen rows, in the order they were chosen
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        model.rowsAboutToBeRemoved.connect(self._on_model_rows_about_to_be_removed)

    def history(self) -> HistoryModel:
        model = self.model()
        assert isinstance(model, HistoryModel)
        return model

    def choose(self, rows: list[int]) -> None:
        """Chooses exactly these rows (at most the last two)."""
        rows = rows[-2:]
        selection = QItemSelection()
        for row in rows:
            selection.select(self.history().index(row, 0), self.history().index(row, len(COLUMNS) - 1))
        self._order = list(rows)
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def chosen(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [self.history().summary(row) for row in rows]

    def _on_model_rows_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        # Forgotten runs leave the choice; the rows after them move up.
        gone = last - first + 1
        self._order = [row - gone if row > last else row for row in self._order if not first <= row <= last]

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {index.row() for index in self.selectionModel().selectedRows()}
        self._order = [row for row in self._order if row in rows] + sorted(rows - set(self._order))
        if len(self._order) > 2:
            self.choose(self._order[-2:])  # re-enters this handler with two rows
            return
        self.chosen_changed.emit(self.chosen())


class RunComparison(QWidget):
    """One or two runs' timelines one above the other, on the same time scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runComparison")
        self.first_title = plain_text.wrapped_label(parent=self)
        self.first_title.setObjectName("comparisonTitle")
        self.first = TimelineWidget(self)
        self.first.setObjectName("comparisonTimelineA")
        self.speedup_label = plain_text.wrapped_label(parent=self)
        self.speedup_label.setObjectName("speedupLabel")
        self.speedup_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.second_title = plain_text.wrapped_label(parent=self)
        self.second_title.setObjectName("comparisonTitle")
        self.second = TimelineWidget(self)
        self.second.setObjectName("comparisonTimelineB")
        self.first.setAccessibleName(_("First of the two compared timelines"))  # each describes its run
        self.second.setAccessibleName(_("Second of the two compared timelines"))
        for timeline in (self.first, self.second):
            # A scroll bar that comes and goes would make one view narrower than the other, and
            # the same second would no longer sit at the same x in both; zooming one would too.
            timeline.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
            timeline.zoomable = False
            timeline.setMinimumHeight(70)  # each scrolls its rows; the tab scrolls only when even this does not fit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.first_title, self.first, self.speedup_label, self.second_title, self.second):
            layout.addWidget(widget, 1 if isinstance(widget, TimelineWidget) else 0)
        self.show_runs([])

    def show_runs(self, runs: list[RunSummary]) -> None:
        """Shows 0, 1 or 2 runs; with two, both on the longer one's time scale."""
        runs = runs[-2:]
        for title, timeline, run in zip((self.first_title, self.second_title), (self.first, self.second), [*runs, None, None]):
            timeline.show_summary(run)
            title.setText(run_title(run) if run else "")
            title.setVisible(run is not None)
            timeline.setVisible(run is not None)
        if len(runs) == 2:
            common = max(span(runs[0]), span(runs[1]))
            self.first.set_fixed_span(common)
            self.second.set_fixed_span(common)
            self.speedup_label.setText(speedup_text(runs[0], runs[1]))
        else:
            self.first.set_fixed_span(None)
            self.speedup_label.setText(
                _("Run the lab, then click two runs in the list to compare them on the same time scale.")
                if not runs
                else _("Click a second run in the list to compare the two on the same time scale.")
            )
