"""The lab window: assembles the widgets, passes the user's actions to the controller, renders its signals.

Layout, top to bottom: the error banner (hidden until needed); the mode toggle with Run and
Cancel; the URL list beside the liveness panel (animation, typing box, freeze meter, lag graph,
last run's report); then tabs: the request timeline, the results table and the run history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import export
from app.core.demo_server import DemoServer, demo_urls
from app.core.fetch import FetchOptions
from app.core.run import FetchMode, Run, RunSummary, parse_url_lines
from app.ui.controller import LabController
from app.ui.errors import ErrorReporter
from app.ui.heartbeat import Heartbeat
from app.ui.widgets.bouncing_ball import BouncingBall
from app.ui.widgets.error_banner import ErrorBanner
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.history import HistoryModel, HistoryView, RunComparison, run_title
from app.ui.widgets.lag_graph import LagGraph
from app.ui.widgets.mode_toggle import ModeToggle
from app.ui.widgets.results_table import ResultsModel, ResultsTable
from app.ui.widgets.run_report import RunReport
from app.ui.widgets.timeline import TimelineLegend, TimelineWidget

log = logging.getLogger(__name__)

INPUT_SETTLE_MS = 250
"""After a blocking run, Run and the toggle stay disabled this long: clicks made during the freeze
are still queued, and must land on disabled buttons rather than start another freeze."""

EXPORT_FORMATS = {
    "har": ("HAR (for a browser's devtools)", "HAR files (*.har)"),
    "csv": ("CSV (for a spreadsheet)", "CSV files (*.csv)"),
    "png": ("timeline picture (PNG)", "PNG images (*.png)"),
}
AskSavePath = Callable[[str, str, str], "str | None"]
"""(dialog title, suggested path, file filter) -> the chosen path, or None if cancelled."""


def _title(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setObjectName("panelTitle")
    label.setBuddy(buddy)
    return label


class MainWindow(QMainWindow):
    """LoopLab's lab. Build it with :func:`app.main.create_window`."""

    run_finished = Signal(object)  # RunSummary: once per run, however it ended
    closed = Signal()  # the window was closed; its runs are being cancelled and resources released

    def __init__(
        self,
        controller: LabController,
        heartbeat: Heartbeat,
        reporter: ErrorReporter,
        server: DemoServer,
        *,
        owns_server: bool,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("LoopLab: blocking vs non-blocking")
        # Closing the lab must not quit the application: quitting belongs to main() (and a
        # test's or a script's event loop must survive the window closing).
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.controller = controller
        self.heartbeat = heartbeat
        self.reporter = reporter
        self.server = server
        self._owns_server = owns_server
        self._closing: asyncio.Task[None] | None = None

        self._build_widgets()
        self._build_layout()
        self._build_menus()
        self._connect()
        self._size_to_screen()
        heartbeat.start()

    # --- construction ---

    def _build_widgets(self) -> None:
        self.banner = ErrorBanner(self)
        self.mode_toggle = ModeToggle(self)

        self.run_button = QPushButton("▶  Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.setAccessibleName("Run")
        self.run_button.setToolTip("Fetch every URL in the list, in the chosen mode")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("■  Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setToolTip("Stop the async run under way")
        self.cancel_button.setEnabled(False)

        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setObjectName("concurrencySpin")
        self.concurrency_spin.setRange(1, 1000)
        self.concurrency_spin.setValue(self.controller.concurrency)
        self.concurrency_spin.setAccessibleName("Concurrency: requests at once")
        self.concurrency_spin.setToolTip("How many requests an async run keeps in flight at once")
        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setObjectName("timeoutSpin")
        self.timeout_spin.setRange(0.5, 120.0)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(self.controller.options.timeout)
        self.timeout_spin.setAccessibleName("Timeout per request, in seconds")
        self.timeout_spin.setToolTip("A request that takes longer than this fails with a timeout")

        self.url_edit = QPlainTextEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setAccessibleName("URLs to fetch, one per line")
        self.url_edit.setPlaceholderText(f"One URL per line, e.g. {self.server.url}/delay/2")
        self.url_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.url_edit.setPlainText("\n".join(demo_urls(self.server.url)))

        self.ball = BouncingBall(self)
        self.typing_box = QLineEdit(self)
        self.typing_box.setObjectName("typingBox")
        self.typing_box.setAccessibleName("Type here while it runs")
        self.typing_box.setPlaceholderText("Type here while it runs…")
        self.freeze_meter = FreezeMeter(self)
        self.lag_graph = LagGraph(self)
        self.report = RunReport(self)

        self.results_model = ResultsModel(self)
        self.results_table = ResultsTable(self.results_model, self)
        self.timeline = TimelineWidget(self)
        self.timeline.setToolTip("Hover a bar for its details. Ctrl + mouse wheel (or + and -) zooms the time axis; 0 fits.")
        self.history_model = HistoryModel(self)
        self.history_view = HistoryView(self.history_model, self)
        self.comparison = RunComparison(self)
        self.last_run: RunSummary | None = None
        # Replaced in tests and scripts; by default a save dialog that asks before overwriting.
        self.ask_save_path: AskSavePath = self._ask_save_path_with_dialog

        self.server_label = QLabel(f"Demo server: {self.server.url}/", self)
        self.server_label.setObjectName("serverLabel")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_label.setAccessibleName("Address of the built-in demo server")

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self.mode_toggle)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addStretch(1)
        options = QFormLayout()
        options.addRow("At most at once:", self.concurrency_spin)
        options.addRow("Timeout:", self.timeout_spin)
        controls.addLayout(options)

        urls_box = QWidget(self)
        urls_layout = QVBoxLayout(urls_box)
        urls_layout.addWidget(_title("URLs to fetch, one per line", self.url_edit))
        urls_layout.addWidget(self.url_edit)

        alive_box = QWidget(self)
        alive = QGridLayout(alive_box)
        alive.addWidget(_title("Alive? Watch the ball, type in the box", self.typing_box), 0, 0)
        alive.addWidget(self.ball, 1, 0)
        alive.addWidget(self.typing_box, 2, 0)
        # The meter's own caption says what it is ("Window lateness: 3 ms, smooth").
        alive.addWidget(self.freeze_meter, 3, 0)
        alive.addWidget(_title("Lateness over the last 30 s", self.lag_graph), 0, 1)
        alive.addWidget(self.lag_graph, 1, 1, 3, 1)
        alive.addWidget(self.report, 4, 0, 1, 2)
        alive.setRowStretch(5, 1)
        alive.setColumnStretch(0, 1)
        alive.setColumnStretch(1, 1)

        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(urls_box)
        top.addWidget(alive_box)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 3)
        top.setSizes([380, 900])
        top.setChildrenCollapsible(False)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("resultTabs")
        self.tabs.setAccessibleName("Results: timeline, requests and history")
        self.timeline_panel = self._timeline_panel()
        self.history_panel = self._history_panel()
        self.tabs.addTab(self.timeline_panel, "Timeline")
        self.tabs.addTab(self.results_table, "Requests")
        self.tabs.addTab(self.history_panel, "History")

        self.main_split = split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.server_label)

    def _timeline_panel(self) -> QWidget:
        panel = QWidget(self)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        bar.addWidget(TimelineLegend(panel), 1)
        for text, tip, action in (
            ("−", "Zoom out (-)", lambda: self.timeline.zoom_by(1 / 1.5)),
            ("+", "Zoom in (+, or Ctrl + mouse wheel)", lambda: self.timeline.zoom_by(1.5)),
            ("Fit", "Show the whole run (0)", self.timeline.fit),
        ):
            button = QToolButton(panel)
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.clicked.connect(action)
            bar.addWidget(button)
        layout.addLayout(bar)
        layout.addWidget(self.timeline, 1)
        return panel

    def _history_panel(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.history_view)
        split.addWidget(self.comparison)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setSizes([430, 850])
        split.setChildrenCollapsible(False)
        return split

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        restore = QAction("Restore the demo URLs", self)
        restore.triggered.connect(self.restore_demo_urls)
        file_menu.addAction(restore)
        file_menu.addSeparator()
        self.export_actions: dict[str, QAction] = {}
        for kind, (words, _filter) in EXPORT_FORMATS.items():
            action = QAction(f"Export the last run as {words}…", self)
            action.setObjectName(f"export{kind.upper()}Action")
            action.setEnabled(False)
            action.triggered.connect(lambda _checked=False, kind=kind: self._on_export_action_triggered(kind))
            file_menu.addAction(action)
            self.export_actions[kind] = action
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def _connect(self) -> None:
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.mode_toggle.toggled.connect(self._on_mode_toggle_toggled)
        self.heartbeat.ticked.connect(self._on_heartbeat_ticked)
        self.controller.run_started.connect(self._on_controller_run_started)
        self.controller.records_changed.connect(self._on_controller_records_changed)
        self.controller.run_finished.connect(self._on_controller_run_finished)
        self.reporter.error_reported.connect(self.banner.show_error)
        self.history_view.chosen_changed.connect(self.comparison.show_runs)

    def _size_to_screen(self) -> None:
        # 1280 x 860 where there is room; on a 1366 x 768 school laptop, what the screen allows.
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1280, 860
        if screen is not None and screen.isValid():
            width, height = min(width, int(screen.width() * 0.95)), min(height, int(screen.height() * 0.92))
        self.resize(width, height)

    # --- public ---

    def restore_demo_urls(self) -> None:
        self.url_edit.setPlainText("\n".join(demo_urls(self.server.url)))

    async def run_once(self) -> RunSummary:
        """Presses Run and returns the run's summary when it ends (for scripts: screenshots, benchmarks)."""
        while not self.run_button.isEnabled():  # e.g. just after a blocking run
            await asyncio.sleep(0.02)
        finished: asyncio.Future[RunSummary] = asyncio.get_running_loop().create_future()

        def receive(summary: RunSummary) -> None:
            if not finished.done():
                finished.set_result(summary)

        self.run_finished.connect(receive)
        try:
            self.run_button.click()
            if not self.controller.running:
                raise RuntimeError("Run started nothing: the URL list has no URL")
            return await finished
        finally:
            self.run_finished.disconnect(receive)

    def export_last_run(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Writes the last finished run to ``path``: HAR, CSV or the timeline as PNG, by the suffix.

        Never replaces an existing file unless ``overwrite`` (FileExistsError); raises
        ValueError for an unknown suffix or when no run has finished yet, and OSError when the
        file cannot be written (nothing half-written is left behind).
        """
        path = Path(path)
        kind = export.kind_of(path)
        summary = self.last_run
        if summary is None:
            raise ValueError("There is no finished run to export yet: press Run first.")
        if kind == "har":
            data = export.har_bytes(summary)
        elif kind == "csv":
            data = export.csv_bytes(summary)
        else:
            data = _png_bytes(self.timeline_picture(summary))
        export.write_new(path, data, overwrite=overwrite)
        log.info("Exported run %d to %s", summary.run_id, path)
        return path

    def timeline_picture(self, summary: RunSummary, width: int = 1600) -> QImage:
        """The run's timeline with its freeze bands, a title and the legend, as an image."""
        drawer = TimelineWidget(self)  # never shown: it only lends its painting
        legend = TimelineLegend(self)
        try:
            drawer.setFont(self.font())
            drawer.show_summary(summary)
            timeline = drawer.render_image(width)
            legend.setFixedWidth(width)
            legend.adjustSize()
            legend_image = legend.grab().toImage()
        finally:
            drawer.deleteLater()
            legend.deleteLater()
        title_height = self.fontMetrics().height() + 16
        picture = QImage(width, title_height + legend_image.height() + 8 + timeline.height(), QImage.Format.Format_ARGB32)
        picture.fill(self.palette().base().color())
        painter = QPainter(picture)
        try:
            painter.setFont(self.font())
            painter.setPen(QColor(self.palette().text().color()))
            painter.drawText(12, 8 + self.fontMetrics().ascent(), f"LoopLab · {run_title(summary)}")
            painter.drawImage(8, title_height, legend_image)
            painter.drawImage(0, title_height + legend_image.height() + 8, timeline)
        finally:
            painter.end()
        return picture

    async def wait_closed(self) -> None:
        """Returns once the window has been closed and everything it held is released."""
        if self._closing is not None:
            await self._closing

    # --- handlers ---

    def _on_run_button_clicked(self) -> None:
        urls = parse_url_lines(self.url_edit.toPlainText())
        if not urls:
            self.statusBar().showMessage("Add at least one URL, one per line, then press Run.", 8000)
            self.url_edit.setFocus()
            return
        self.controller.concurrency = self.concurrency_spin.value()
        self.controller.options = FetchOptions(timeout=self.timeout_spin.value())
        self.controller.start_run(urls)

    def _on_cancel_button_clicked(self) -> None:
        if self.controller.cancel():
            self.statusBar().showMessage("Cancelling…", 3000)

    def _on_mode_toggle_toggled(self, checked: bool) -> None:
        self.controller.mode = self.mode_toggle.mode
        self.concurrency_spin.setEnabled(not checked)
        self.concurrency_spin.setToolTip(
            "Blocking runs do one request at a time" if checked else "How many requests an async run keeps in flight at once"
        )

    def _on_heartbeat_ticked(self, now: float, lateness: float) -> None:
        self.ball.advance(now)
        self.freeze_meter.on_tick(now, lateness)
        self.lag_graph.on_tick(now, lateness)

    def _on_controller_run_started(self, run: Run) -> None:
        self.results_model.show_run(run)
        self.timeline.show_run(run)
        if self.tabs.currentWidget() is self.history_panel:
            self.tabs.setCurrentWidget(self.timeline_panel)  # the new run is drawn on the timeline
        if self.focusWidget() in (self.run_button, self.mode_toggle, None):
            # Disabling the focused button would push focus into a spin box, where typing would
            # change a setting. The box that asks to be typed in is the right place anyway.
            self.typing_box.setFocus()
        self.run_button.setEnabled(False)
        self.mode_toggle.setEnabled(False)
        # In blocking mode the window cannot react to a click until the run is over.
        self.cancel_button.setEnabled(run.mode is FetchMode.ASYNC)
        self.report.show_started(run)
        self.statusBar().clearMessage()

    def _on_controller_records_changed(self, rows: list[int]) -> None:
        self.results_model.refresh_rows(rows)
        self.timeline.refresh()
        run = self.controller.active_run
        if run is not None:
            self.report.show_progress(run, finished=sum(r.state.finished for r in run.records))

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        self.results_model.show_records(summary.records)
        self.timeline.show_summary(summary)
        self.last_run = summary
        self.history_model.add(summary)
        # The two latest runs side by side, ready to compare (the user can choose others).
        rows = self.history_model.rowCount()
        self.history_view.choose(list(range(max(0, rows - 2), rows)))
        for action in self.export_actions.values():
            action.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.report.show_summary(summary)
        if summary.mode is FetchMode.BLOCKING:
            QTimer.singleShot(INPUT_SETTLE_MS, self, self._enable_run_controls)
        else:
            self._enable_run_controls()
        self.run_finished.emit(summary)

    def _on_export_action_triggered(self, kind: str) -> None:
        summary = self.last_run
        if summary is None:
            return
        words, file_filter = EXPORT_FORMATS[kind]
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        suggested = str(Path(folder) / f"looplab-run-{summary.run_id}-{summary.mode.value}.{kind}")
        chosen = self.ask_save_path(f"Export run {summary.run_id} as {words}", suggested, file_filter)
        if not chosen:
            return
        path, overwrite = Path(chosen), True  # the save dialog has already asked about replacing
        if path.suffix.lower() != f".{kind}":
            path, overwrite = path.with_name(f"{path.name}.{kind}"), False  # a name it never asked about
        try:
            try:
                self.export_last_run(path, overwrite=overwrite)
            except FileExistsError:
                if not self._confirm_replace(path):
                    return
                self.export_last_run(path, overwrite=True)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_export_problem(f"Could not save {path.name}: {reason}.", str(path))
            return
        self.statusBar().showMessage(f"Saved run {summary.run_id} as {path}", 10000)

    def _ask_save_path_with_dialog(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _selected = QFileDialog.getSaveFileName(self, title, suggested, file_filter)
        return path or None

    def _confirm_replace(self, path: Path) -> bool:
        answer = QMessageBox.question(self, "Replace the file?", f"{path.name} already exists in {path.parent}. Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def _show_export_problem(self, text: str, path: str) -> None:
        log.warning("Export failed: %s (%s)", text, path)
        box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("exportProblem")
        box.setInformativeText("Choose another folder (for example Documents) or free some space, then try again.")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, and the event loop (the heartbeat, a run) goes on

    def _enable_run_controls(self) -> None:
        if not self.controller.closed and not self.controller.running:
            self.run_button.setEnabled(True)
            self.mode_toggle.setEnabled(True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._closing is None:
            self.heartbeat.stop()
            self.controller.cancel()  # at once, not a loop turn later in _release
            self._closing = asyncio.ensure_future(self._release())
            self.closed.emit()
        event.accept()

    async def _release(self) -> None:
        try:
            await self.controller.aclose()
        finally:
            if self._owns_server:
                self.server.stop()


def _png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the picture as PNG")
    buffer.close()
    return bytes(data.data())
