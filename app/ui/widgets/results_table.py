"""The results table: one row per URL of the last run, updated in batches while it runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.core.run import RequestRecord, RequestState, Run, format_duration, format_size
from app.i18n import N_, _
from app.ui import look, plain_text
from app.ui.widgets import rows_follow_font

COLUMNS = ("URL", N_("Status"), N_("Size"), N_("Time"), N_("Started at"), N_("Error"))
"""The column headers, shown as ``_(...)``."""
URL, STATUS, SIZE, TIME, STARTED, ERROR = range(len(COLUMNS))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

AnyIndex = QModelIndex | QPersistentModelIndex


MAX_STRETCHES = 64
"""More stretches of changed rows than this are told as one (see :meth:`ResultsModel.refresh_rows`)."""


def row_stretches(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending ``rows`` as (first, last) stretches of consecutive rows: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    stretches: list[tuple[int, int]] = []
    for row in rows:
        if stretches and row == stretches[-1][1] + 1:
            stretches[-1] = (stretches[-1][0], row)
        else:
            stretches.append((row, row))
    return stretches


class ResultsModel(QAbstractTableModel):
    """A read-only view of a run's records (owned by the run; this model only reads them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run: Run | None = None
        self._records: Sequence[RequestRecord] = ()
        self._count = 0  # rows the view knows about: a lesson's run gains records as it goes

    def show_run(self, run: Run) -> None:
        self.beginResetModel()
        self._run, self._records, self._count = run, run.records, len(run.records)
        self.endResetModel()

    def show_records(self, records: Sequence[RequestRecord]) -> None:
        """Shows finished records (e.g. a summary's), with no live clock."""
        if records is self._records and len(records) == self._count:
            # The run that was shown has ended (its summary shares its table): the rows stay,
            # only the live clock goes. Resetting 200,000 rows would be a visible hitch.
            self._run = None
            if self._count:
                self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._run, self._records, self._count = None, records, len(records)
        self.endResetModel()

    def refresh_rows(self, rows: Sequence[int]) -> None:
        """Tells the view that these rows changed, one signal per stretch of consecutive rows,
        and about records added since the last refresh.

        Only what changed: at 50 requests under way in a run of 5000 the changed rows are
        scattered, and one signal from the first to the last would make the view re-read
        thousands of rows that did not change. Past :data:`MAX_STRETCHES` stretches one signal
        for the whole span is cheaper than many."""
        if len(self._records) > self._count:
            self.beginInsertRows(QModelIndex(), self._count, len(self._records) - 1)
            self._count = len(self._records)
            self.endInsertRows()
        stretches = row_stretches(sorted(row for row in rows if 0 <= row < self._count))
        if len(stretches) > MAX_STRETCHES:
            stretches = [(stretches[0][0], stretches[-1][1])]
        last_column = len(COLUMNS) - 1
        for first, last in stretches:
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def record(self, row: int) -> RequestRecord:
        return self._records[row]

    # --- QAbstractTableModel ---

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section]) if orientation == Qt.Orientation.Horizontal else str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            # The whole URL and the whole reason, which a narrow column cuts short.
            return plain_text.tooltip(f"{record.url}\n{record.error}" if record.error else record.url)
        if role == Qt.ItemDataRole.ForegroundRole:
            if record.state is RequestState.FAILED and column in (STATUS, ERROR):
                return look.FAILED.on()
            if record.state is RequestState.CANCELLED:
                return look.CANCELLED.on()
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SIZE, TIME, STARTED):
            return _RIGHT
        return None

    def _text(self, record: RequestRecord, column: int) -> str:
        if column == URL:
            return record.url
        if column == STATUS:
            return self._status_text(record)
        if column == SIZE:
            return format_size(record.bytes_received) if record.response_at is not None else ""
        if column == TIME:
            if record.duration is not None:
                return format_duration(record.duration)
            if record.started is not None and self._run is not None:
                return format_duration(self._run.clock() - record.started) + "…"
            return ""
        if column == STARTED:
            return f"+{record.started:.2f} s" if record.started is not None else ""
        return record.error

    @staticmethod
    def _status_text(record: RequestRecord) -> str:
        if record.status is not None:
            text = f"{record.status} {record.reason}".rstrip()
            return text + " ↓" if record.state is RequestState.RUNNING else text
        return {
            RequestState.PENDING: _("waiting"),
            RequestState.RUNNING: _("connecting…"),
            RequestState.FAILED: _("failed"),
            RequestState.CANCELLED: _("cancelled"),
            RequestState.DONE: _("done"),
        }[record.state]


class ResultsTable(QTableView):
    """The table of the last run's requests."""

    def __init__(self, model: ResultsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsTable")
        self.setAccessibleName(_("Results: one row per URL of the last run"))
        self.setModel(model)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        rows_follow_font(self, 10)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((URL, 340), (STATUS, 150), (SIZE, 90), (TIME, 90), (STARTED, 100)):
            self.setColumnWidth(column, width)
