"""The lab window: assembles the widgets, passes the user's actions to the controller, renders its signals.

Layout: the error banner (hidden until needed) and the controls (mode toggle, Run, Cancel) on
top; on the left, what to run: your URL list or a lesson with its code; on the right, is the
window alive (animation, typing box, freeze meter, lag graph), the last run's report, and tabs
with the request timeline, the results table and the run history.

The window also owns what a teacher expects around that: keyboard shortcuts, presentation mode,
and the settings remembered between launches (``app.ui.settings``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QGuiApplication, QImage, QKeySequence, QPainter
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
from app.core.lessons import LESSONS, Lesson, LessonSetup, lesson_by_id
from app.core.run import FetchMode, Run, RunOutcome, RunSummary
from app.ui import look, plain_text, settings
from app.ui.controller import LabController
from app.ui.dialogs import AboutDialog, ShortcutsDialog
from app.ui.errors import ErrorReporter
from app.ui.heartbeat import Heartbeat
from app.ui.widgets.bouncing_ball import BouncingBall
from app.ui.widgets.error_banner import ErrorBanner
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.history import HistoryModel, HistoryView, RunComparison, run_title
from app.ui.widgets.lag_graph import LagGraph
from app.ui.widgets.lesson_panel import LessonPanel
from app.ui.widgets.mode_toggle import ModeToggle
from app.ui.widgets.results_table import ResultsModel, ResultsTable
from app.ui.widgets.run_report import RunReport
from app.ui.widgets.timeline import TimelineLegend, TimelineWidget
from app.ui.widgets.url_editor import UrlEditor

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
    label = plain_text.label(text)
    label.setObjectName("panelTitle")
    label.setBuddy(buddy)
    label.setWordWrap(True)  # in presentation mode a title wraps rather than widen the window
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
        self._lesson_run: tuple[Lesson, LessonSetup] | None = None  # the lesson under way, if any
        self._toggle_before_lesson: bool | None = None  # the user's mode, while a lesson fixes it
        self._presentation_full_screen = True
        self._normal_palette = self.palette()
        # Readable on a projector: a size up from the desktop default, inherited by every child;
        # the style sheet makes the toggle, the buttons and the numbers bigger still.
        self._normal_font = self.font()
        self._normal_font.setPointSizeF(max(self._normal_font.pointSizeF(), 11.0))

        self._build_widgets()
        self._build_layout()
        self._build_actions()
        self._build_menus()
        self._connect()
        self._size_to_screen()
        self._restore(settings.load())
        self._save_timer = QTimer(self, singleShot=True, interval=500)
        self._save_timer.timeout.connect(self.save_settings)
        self._connect_saving()
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

        self.url_editor = UrlEditor(self)
        self.url_edit = self.url_editor.edit
        self.url_edit.setPlaceholderText(f"One URL per line, e.g. {self.server.url}/delay/2")
        self.url_editor.set_text("\n".join(demo_urls(self.server.url)))
        self.lesson_panel = LessonPanel(self)

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

        self.server_label = plain_text.label(f"Demo server: {self.server.url}/", self)
        self.server_label.setObjectName("serverLabel")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_label.setAccessibleName("Address of the built-in demo server")

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self.mode_toggle)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addStretch(1)
        # Presentation mode hides the menus: this is the way out for a mouse (besides F11).
        self.exit_presentation_button = QPushButton("Exit presentation (F11)", self)
        self.exit_presentation_button.setObjectName("exitPresentationButton")
        self.exit_presentation_button.setAccessibleName("Exit presentation mode")
        self.exit_presentation_button.clicked.connect(lambda: self.set_presentation(False))
        self.exit_presentation_button.hide()
        controls.addWidget(self.exit_presentation_button)
        # "Advanced" settings: hidden in presentation mode.
        self.options_box = QWidget(self)
        options = QFormLayout(self.options_box)
        options.setContentsMargins(0, 0, 0, 0)
        for caption, field in (("At most at once:", self.concurrency_spin), ("Timeout:", self.timeout_spin)):
            options.addRow(plain_text.label(caption, self.options_box), field)
        controls.addWidget(self.options_box)

        urls_box = QWidget(self)
        urls_layout = QVBoxLayout(urls_box)
        urls_layout.setContentsMargins(4, 4, 4, 4)
        urls_layout.addWidget(_title("URLs to fetch, one per line", self.url_edit))
        urls_layout.addWidget(self.url_editor)
        self.source_tabs = QTabWidget(self)
        self.source_tabs.setObjectName("sourceTabs")
        self.source_tabs.setAccessibleName("What Run runs: your URLs or a lesson")
        self.source_tabs.addTab(urls_box, "Your URLs")
        self.source_tabs.addTab(self.lesson_panel, "Lessons")
        self.urls_page = urls_box

        alive_box = QWidget(self)
        alive = QGridLayout(alive_box)
        self.alive_titles = [
            _title("Alive? Watch the ball, type in the box", self.typing_box),
            _title("Lateness over the last 30 s", self.lag_graph),
        ]
        alive.addWidget(self.alive_titles[0], 0, 0)
        alive.addWidget(self.ball, 1, 0)
        alive.addWidget(self.typing_box, 2, 0)
        # The meter's own caption says what it is ("Window lateness: 3 ms, smooth").
        alive.addWidget(self.freeze_meter, 3, 0)
        alive.addWidget(self.alive_titles[1], 0, 1)
        alive.addWidget(self.lag_graph, 1, 1, 3, 1)
        alive.addWidget(self.report, 4, 0, 1, 2)
        alive.setRowStretch(5, 1)
        alive.setColumnStretch(0, 1)
        alive.setColumnStretch(1, 1)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("resultTabs")
        self.tabs.setAccessibleName("Results: timeline, requests and history")
        self.timeline_panel = self._timeline_panel()
        self.history_panel = self._history_panel()
        self.tabs.addTab(self.timeline_panel, "Timeline")
        self.tabs.addTab(self.results_table, "Requests")
        self.tabs.addTab(self.history_panel, "History")

        self.main_split = split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(alive_box)
        split.addWidget(self.tabs)
        # The liveness panel and report keep their natural height; the timeline gets the rest.
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)

        self.columns = QSplitter(Qt.Orientation.Horizontal, self)
        self.columns.addWidget(self.source_tabs)
        self.columns.addWidget(split)
        self.columns.setStretchFactor(0, 1)
        self.columns.setStretchFactor(1, 2)
        self.columns.setSizes([530, 750])
        self.columns.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addLayout(controls)
        layout.addWidget(self.columns, 1)
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

    def _build_actions(self) -> None:
        """Every keyboard shortcut is a window action, listed in Help > Keyboard shortcuts."""

        def action(text: str, keys: list[str], slot: object, name: str = "") -> QAction:
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if name:
                act.setObjectName(name)
            act.triggered.connect(slot)
            self.addAction(act)  # works with the menu bar hidden too
            return act

        self.run_action = action("Run", ["Ctrl+Return", "Ctrl+Enter"], self._on_run_action_triggered, "runAction")
        self.flip_action = action("Switch blocking / async", ["Ctrl+B"], self._on_flip_action_triggered, "flipAction")
        self.cancel_action = action("Cancel the run", ["Esc"], self._on_cancel_button_clicked, "cancelAction")
        self.presentation_action = action("Presentation mode", ["F11", "Ctrl+Shift+P"], self._on_presentation_action_toggled, "presentationAction")
        self.presentation_action.setCheckable(True)
        self.lesson_actions = [
            action(f"{number}. {lesson.title}", [f"Ctrl+{number}"], lambda _checked=False, i=lesson.id: self.open_lesson(i))
            for number, lesson in enumerate(LESSONS, start=1)
        ]
        self.lab_action = action("Your URLs (no lesson)", ["Ctrl+0"], self.open_urls, "urlsAction")
        # Ctrl+Q everywhere (the platform's own Quit key too, where it has one): a window action,
        # so it still works in presentation mode, where the menu bar is hidden.
        quit_keys = [k.toString() for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)]
        self.quit_action = action("&Quit", list(dict.fromkeys(["Ctrl+Q", *quit_keys])), self.close, "quitAction")
        self.run_button.setToolTip("Run the URL list or the chosen lesson (Ctrl+Return)")
        self.mode_toggle.setToolTip(self.mode_toggle.toolTip() + "\nShortcut: Ctrl+B")
        self.cancel_button.setToolTip("Stop the async run under way (Esc)")

    def shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut, as Help > Keyboard shortcuts lists them."""
        listed = [
            self.run_action,
            self.flip_action,
            self.cancel_action,
            self.lab_action,
            *self.lesson_actions,
            self.presentation_action,
            self.quit_action,
        ]
        rows = [(" or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()), a.text()) for a in listed]
        rows += [("+ / - / 0", "Timeline: zoom in, zoom out, fit the run"), ("Ctrl + mouse wheel", "Timeline: zoom around the pointer")]
        return rows

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
        reset = QAction("Reset to defaults", self)
        reset.setObjectName("resetAction")
        reset.triggered.connect(self.reset_to_defaults)
        file_menu.addAction(reset)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        lab_menu = self.menuBar().addMenu("&Lab")
        for act in (self.run_action, self.flip_action, self.cancel_action):
            lab_menu.addAction(act)
        lab_menu.addSeparator()
        lab_menu.addAction(self.lab_action)
        lessons_menu = lab_menu.addMenu("Lessons")
        for act in self.lesson_actions:
            lessons_menu.addAction(act)

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.presentation_action)

        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = QAction("Keyboard shortcuts", self)
        shortcuts.setObjectName("shortcutsAction")
        shortcuts.triggered.connect(self.show_shortcuts)
        help_menu.addAction(shortcuts)
        about = QAction("About LoopLab", self)
        about.setObjectName("aboutAction")
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

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
        self.lesson_panel.lesson_chosen.connect(self._on_lesson_panel_lesson_chosen)
        self.lesson_panel.settings_changed.connect(self._update_lesson_view)
        self.source_tabs.currentChanged.connect(self._on_source_tabs_changed)
        # Dark or light follows the OS, also when it changes while the lab is open.
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)

    def _connect_saving(self) -> None:
        for signal in (
            self.url_editor.changed,
            self.mode_toggle.toggled,
            self.concurrency_spin.valueChanged,
            self.lesson_panel.settings_changed,
            self.lesson_panel.lesson_chosen,
            self.source_tabs.currentChanged,
            self.presentation_action.toggled,
        ):
            signal.connect(self._save_timer.start)

    def _size_to_screen(self) -> None:
        # 1280 x 860 where there is room; on a 1366 x 768 school laptop, what the screen allows.
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1280, 860
        if screen is not None and screen.isValid():
            width, height = min(width, int(screen.width() * 0.95)), min(height, int(screen.height() * 0.92))
        self.resize(width, height)

    # --- public ---

    def restore_demo_urls(self) -> None:
        self.url_editor.set_text("\n".join(demo_urls(self.server.url)))

    @property
    def current_lesson(self) -> Lesson | None:
        """The lesson Run runs: the chosen one while the Lessons tab is open, else None (the URLs)."""
        if self.source_tabs.currentWidget() is not self.lesson_panel or not self.lesson_panel.lesson_id:
            return None
        return lesson_by_id(self.lesson_panel.lesson_id)

    def lesson_setup(self) -> LessonSetup:
        return LessonSetup(
            base_url=self.server.url,
            scale=self.lesson_panel.scale,
            blocking=self.mode_toggle.isChecked(),
            limit=self.lesson_panel.limit,
        )

    def open_lesson(self, lesson_id: str) -> None:
        """Shows the Lessons tab with ``lesson_id`` chosen (KeyError for an unknown id)."""
        lesson_by_id(lesson_id)
        self.source_tabs.setCurrentWidget(self.lesson_panel)
        self.lesson_panel.choose(lesson_id)
        self._update_lesson_view()

    def open_urls(self) -> None:
        self.source_tabs.setCurrentWidget(self.urls_page)

    @property
    def presentation(self) -> bool:
        return self.presentation_action.isChecked()

    def set_presentation(self, on: bool, *, full_screen: bool = True) -> None:
        """Presentation mode: everything 1.55x bigger, high contrast, advanced settings hidden,
        full screen (``full_screen=False`` keeps the window's size: for screenshots)."""
        self._presentation_full_screen = full_screen
        if on != self.presentation_action.isChecked():
            self.presentation_action.setChecked(on)
        self._apply_look()

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.shortcuts(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_about(self) -> None:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def save_settings(self) -> None:
        """Writes what the next launch should start with (also done shortly after every change)."""
        urls = self.url_editor.text()
        settings.save(
            settings.Remembered(
                urls=None if urls == "\n".join(demo_urls(self.server.url)) else urls,
                mode=self._user_mode(),
                concurrency=self.concurrency_spin.value(),
                time_scale=self.lesson_panel.scale,
                lesson=self.lesson_panel.lesson_id,
                limit=self.lesson_panel.limit,
                source="lessons" if self.source_tabs.currentWidget() is self.lesson_panel else "urls",
                presentation=self.presentation,
                geometry=self.saveGeometry(),
            ),
            # The demo server gets a new port at every launch: its address is kept as a
            # placeholder, so remembered demo URLs still point at the next launch's server.
            demo_server_url=self.server.url,
        )

    def reset_to_defaults(self) -> None:
        """Forgets every remembered setting and shows the lab as on its first launch."""
        settings.clear()
        defaults = settings.Remembered()
        self._restore(defaults)
        self.lesson_panel.lesson_list.setCurrentRow(-1)
        self._size_to_screen()
        self.statusBar().showMessage("Settings reset to their defaults.", 8000)
        log.info("Settings reset to defaults")

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

    def export_last_run(self, path: str | Path, *, overwrite: bool = False, summary: RunSummary | None = None) -> Path:
        """Writes the last finished run to ``path``: HAR, CSV or the timeline as PNG, by the suffix.

        Never replaces an existing file unless ``overwrite`` (FileExistsError); raises
        ValueError for an unknown suffix or when no run has finished yet, and OSError when the
        file cannot be written (nothing half-written is left behind).
        """
        path = Path(path)
        kind = export.kind_of(path)
        summary = summary or self.last_run
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
            legend.setFixedWidth(width - 16)
            legend.adjustSize()
            legend_image = legend.grab().toImage()
            title_height = self.fontMetrics().height() + 16
            top = title_height + legend_image.height() + 8
            # One image, painted straight into: a 1000-row run must not cost two big copies.
            picture = QImage(width, top + drawer.export_height(), QImage.Format.Format_ARGB32)
            picture.fill(self.palette().base().color())
            painter = QPainter(picture)
            try:
                painter.setFont(self.font())
                painter.setPen(QColor(self.palette().text().color()))
                painter.drawText(12, 8 + self.fontMetrics().ascent(), f"LoopLab · {run_title(summary)}")
                painter.drawImage(8, title_height, legend_image)
                painter.translate(0, top)
                drawer.paint_export(painter, width)
            finally:
                painter.end()
        finally:
            drawer.deleteLater()
            legend.deleteLater()
        return picture

    async def wait_closed(self) -> None:
        """Returns once the window has been closed and everything it held is released."""
        if self._closing is not None:
            await self._closing

    # --- handlers ---

    def _on_run_button_clicked(self) -> None:
        if self.source_tabs.currentWidget() is self.lesson_panel:
            self._start_lesson()
            return
        if not self.url_editor.has_urls():
            self.statusBar().showMessage("Add at least one URL, one per line, then press Run.", 8000)
            self.url_edit.setFocus()
            return
        self.controller.concurrency = self.concurrency_spin.value()
        self.controller.options = FetchOptions(timeout=self.timeout_spin.value())
        self.controller.start_run(self.url_editor.text())

    def _start_lesson(self) -> None:
        lesson = self.current_lesson
        if lesson is None:
            self.statusBar().showMessage("Choose a lesson in the list first, then press Run.", 8000)
            self.lesson_panel.lesson_list.setFocus()
            return
        setup = self.lesson_setup()
        self.lesson_panel.show_verdict(None)
        self._lesson_run = (lesson, setup)  # before starting: run_started comes at once
        try:
            run = self.controller.start_lesson(lesson, setup)
        except Exception as exc:  # noqa: BLE001 - a lesson that cannot even start is a bug: report it
            run = None
            self.reporter.report(f"The lesson {lesson.id} could not start", exc)
        if run is None:
            self._lesson_run = None

    def _on_run_action_triggered(self) -> None:
        if self.run_button.isEnabled():
            self.run_button.click()

    def _on_flip_action_triggered(self) -> None:
        if self.mode_toggle.isEnabled():
            self.mode_toggle.click()

    def _on_presentation_action_toggled(self) -> None:
        self._apply_look()

    def _on_lesson_panel_lesson_chosen(self, _lesson_id: str) -> None:
        self._update_lesson_view()

    def _on_source_tabs_changed(self, _index: int) -> None:
        self._update_lesson_view()

    def _on_color_scheme_changed(self, _scheme: object) -> None:
        self._normal_palette = QGuiApplication.palette()
        self._apply_look()

    def _update_lesson_view(self) -> None:
        """Sets the lab up for the chosen lesson (or back for the URL list): toggle, code, words."""
        lesson = self.current_lesson
        fixes_mode = lesson is not None and not lesson.toggle_picks_variant
        if fixes_mode and self._toggle_before_lesson is None:
            self._toggle_before_lesson = self.mode_toggle.isChecked()
            self.mode_toggle.setChecked(False)  # these lessons are about async code
        elif not fixes_mode and self._toggle_before_lesson is not None:
            self.mode_toggle.setChecked(self._toggle_before_lesson)
            self._toggle_before_lesson = None
        if not self.controller.running:
            self.mode_toggle.setEnabled(not fixes_mode)
        self.mode_toggle.setToolTip(
            "This lesson is about async code: the toggle picks variants in the sleep, cpu and thread lessons."
            if fixes_mode
            else "Flip between the non-blocking way (the window stays alive) and the blocking way (the window freezes).\nShortcut: Ctrl+B"
        )
        self.lesson_panel.show_lesson(lesson, self.lesson_setup() if lesson else None)
        self.concurrency_spin.setEnabled(lesson is None and not self.mode_toggle.isChecked())
        self.run_button.setToolTip(
            f"Run the lesson \"{lesson.title}\" (Ctrl+Return)" if lesson else "Fetch every URL in the list, in the chosen mode (Ctrl+Return)"
        )

    def _user_mode(self) -> FetchMode:
        """The mode the user chose, even while a lesson holds the toggle on async."""
        if self._toggle_before_lesson is not None:
            return FetchMode.BLOCKING if self._toggle_before_lesson else FetchMode.ASYNC
        return self.mode_toggle.mode

    def _restore(self, remembered: settings.Remembered) -> None:
        urls = remembered.urls.replace(settings.DEMO_SERVER, self.server.url) if remembered.urls is not None else None
        self.url_editor.set_text(urls if urls is not None else "\n".join(demo_urls(self.server.url)))
        self._toggle_before_lesson = None
        self.mode_toggle.setChecked(remembered.mode is FetchMode.BLOCKING)
        self.concurrency_spin.setValue(remembered.concurrency)
        self.lesson_panel.set_scale(remembered.time_scale)
        self.lesson_panel.set_limit(remembered.limit)
        if remembered.lesson:
            self.lesson_panel.choose(remembered.lesson)
        self.source_tabs.setCurrentWidget(self.lesson_panel if remembered.source == "lessons" else self.urls_page)
        if not remembered.geometry.isEmpty() and not self.restoreGeometry(remembered.geometry):
            log.warning("The remembered window geometry could not be used; using the default size")
        self.presentation_action.setChecked(remembered.presentation)
        self._apply_look()
        self._update_lesson_view()

    def _apply_look(self) -> None:
        on = self.presentation_action.isChecked()
        font = QFont(self._normal_font)
        font.setPointSizeF(self._normal_font.pointSizeF() * (look.PRESENTATION_SCALE if on else 1.0))
        self.setFont(font)
        self.setStyleSheet(look.style_sheet(look.PRESENTATION_SCALE if on else 1.0, self._normal_font.pointSizeF()))
        # After the style sheet: setting one re-polishes the window and puts its old palette back.
        self.setPalette(look.high_contrast(self._normal_palette) if on else self._normal_palette)
        # Full screen, no menus, no status bar, no advanced settings: room for big type, even
        # on a 1366 x 768 laptop mirrored to a projector. The shortcuts still work.
        # The two titles over the ball and the graph go too: what they show speaks for itself,
        # and their height is what a lesson's code needs on a 768-pixel screen.
        for advanced in (self.options_box, self.menuBar(), self.statusBar(), *self.alive_titles):
            advanced.setVisible(not on)
        self.lesson_panel.set_compact(on)
        self.exit_presentation_button.setVisible(on)
        state = self.windowState()
        full = on and self._presentation_full_screen
        self.setWindowState(state | Qt.WindowState.WindowFullScreen if full else state & ~Qt.WindowState.WindowFullScreen)

    def _on_cancel_button_clicked(self) -> None:
        if self.controller.cancel():
            self.statusBar().showMessage("Cancelling…", 3000)

    def _on_mode_toggle_toggled(self, checked: bool) -> None:
        self.controller.mode = self.mode_toggle.mode
        self.concurrency_spin.setToolTip(
            "Blocking runs do one request at a time" if checked else "How many requests an async run keeps in flight at once"
        )
        self._update_lesson_view()

    def _on_heartbeat_ticked(self, now: float, lateness: float) -> None:
        self.ball.advance(now)
        self.freeze_meter.on_tick(now, lateness)
        self.lag_graph.on_tick(now, lateness)

    def _on_controller_run_started(self, run: Run) -> None:
        self.results_model.show_run(run)
        self.timeline.set_placeholder(_timeline_placeholder(self._lesson_run[0] if self._lesson_run else None))
        self.timeline.show_run(run)
        if self.tabs.currentWidget() is self.history_panel:
            self.tabs.setCurrentWidget(self.timeline_panel)  # the new run is drawn on the timeline
        if self.focusWidget() in (self.run_button, self.mode_toggle, None):
            # Disabling the focused button would push focus into a spin box, where typing would
            # change a setting. The box that asks to be typed in is the right place anyway.
            self.typing_box.setFocus()
        self.run_button.setEnabled(False)
        self.mode_toggle.setEnabled(False)
        # What runs stays what is shown: no other lesson, scale or limit until this run ends.
        self._set_lesson_choice_enabled(False)
        # In blocking mode the window cannot react to a click once the fetching starts; while
        # LoopLab checks a long list first, it can.
        self.cancel_button.setEnabled(run.mode is FetchMode.ASYNC or run.planning)
        self.report.show_started(run, self._lesson_run[0].title if self._lesson_run else "")
        self.statusBar().clearMessage()

    def _on_controller_records_changed(self, rows: list[int]) -> None:
        self.results_model.refresh_rows(rows)
        self.timeline.refresh()
        run = self.controller.active_run
        if run is not None and self._lesson_run is None:
            self.report.show_progress(run)
            self.cancel_button.setEnabled(run.mode is FetchMode.ASYNC or run.planning)

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        self.results_model.show_records(summary.records)
        self.timeline.show_summary(summary)
        lesson_run, self._lesson_run = self._lesson_run, None
        self.last_run = summary
        self.history_model.add(summary)
        # The two latest runs side by side, ready to compare (the user can choose others).
        rows = self.history_model.rowCount()
        self.history_view.choose(list(range(max(0, rows - 2), rows)))
        for action in self.export_actions.values():
            action.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if lesson_run is None:
            self.report.show_summary(summary)
        else:
            self._show_lesson_result(summary, *lesson_run)
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
            # The run named in the dialog, even if another one finished while it was open.
            try:
                self.export_last_run(path, overwrite=overwrite, summary=summary)
            except FileExistsError:
                if not self._confirm_replace(path):
                    return
                self.export_last_run(path, overwrite=True, summary=summary)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_export_problem(f"Could not save {path.name}: {reason}.", str(path))
            return
        self.statusBar().showMessage(f"Saved run {summary.run_id} as {path}", 10000)

    def _ask_save_path_with_dialog(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _selected = QFileDialog.getSaveFileName(self, title, suggested, file_filter)
        return path or None

    def _confirm_replace(self, path: Path) -> bool:
        return plain_text.ask(self, "Replace the file?", f"{path.name} already exists in {path.parent}. Replace it?")

    def _show_export_problem(self, text: str, path: str) -> None:
        log.warning("Export failed: %s (%s)", text, path)
        box = plain_text.message_box(
            self,
            QMessageBox.Icon.Warning,
            "Export failed",
            text,
            "Choose another folder (for example Documents) or free some space, then try again.",
        )
        box.setObjectName("exportProblem")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, and the event loop (the heartbeat, a run) goes on

    def _show_lesson_result(self, summary: RunSummary, lesson: Lesson, setup: LessonSetup) -> None:
        expected = lesson.expected_seconds(setup) if lesson.claims_duration else None
        if summary.outcome is RunOutcome.COMPLETED:
            verdict = lesson.verdict(setup, summary.wall_time, summary.longest_freeze)
            self.lesson_panel.show_verdict(verdict)
            self.report.show_lesson(summary, f"{lesson.title}: {verdict.text}", expected)
        else:
            self.lesson_panel.show_verdict(None)
            self.report.show_lesson(summary, lesson.title, expected)

    def _enable_run_controls(self) -> None:
        if not self.controller.closed and not self.controller.running:
            self.run_button.setEnabled(True)
            lesson = self.current_lesson
            self.mode_toggle.setEnabled(lesson is None or lesson.toggle_picks_variant)
            self._set_lesson_choice_enabled(True)

    def _set_lesson_choice_enabled(self, enabled: bool) -> None:
        for widget in (self.source_tabs.tabBar(), self.lesson_panel.lesson_list, self.lesson_panel.scale_combo, self.lesson_panel.limit_slider):
            widget.setEnabled(enabled)
        for act in (*self.lesson_actions, self.lab_action):
            act.setEnabled(enabled)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._closing is None:
            self._save_timer.stop()
            self.save_settings()
            settings.wait_until_written()  # a long URL list is written on a thread: let it finish
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


def _timeline_placeholder(lesson: Lesson | None) -> str:
    if lesson is None:
        return "Press Run: each request will appear here as a bar on a shared time axis."
    if lesson.id == "thread":
        return "requests.get() is not traced, so no bars here: a freeze of the window shows as a red band."
    if lesson.id in ("sleep", "cpu"):
        return "This lesson's code makes no HTTP requests: a freeze of the window shows as a red band."
    return "The lesson's requests appear here as they are made."


def _png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the picture as PNG")
    buffer.close()
    return bytes(data.data())
