"""The lab window: places the panels and connects the few things between them.

On top, the error banner (hidden until needed) and the controls; on the left, what Run runs
(your URLs or a lesson with its code); on the right, is the window alive, the last run's report,
and the results (timeline, requests, history). Each panel subscribes to the controller itself;
what lives elsewhere: the actions and menus (``app.ui.actions``), what is remembered
(``app.ui.window_state``), presentation mode (``app.ui.presentation``) and exports
(``app.ui.exporting``).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.core.demo_server import DemoServer
from app.core.lessons import LESSONS
from app.core.run import FetchMode, Run, RunSummary
from app.i18n import _
from app.ui import actions, plain_text, settings
from app.ui.accessibility import chain_tab_order
from app.ui.code_files import CodeFiles
from app.ui.controller import ControllerState, LabController
from app.ui.dialogs import AboutDialog, ShortcutsDialog
from app.ui.errors import ErrorReporter
from app.ui.exporting import FORMATS, Exporter
from app.ui.heartbeat import Heartbeat
from app.ui.panels.controls import ControlsPanel
from app.ui.panels.liveness import LivenessPanel
from app.ui.panels.report import ReportPanel
from app.ui.panels.results import ResultsPanel
from app.ui.panels.source import NothingToRun, SourcePanel
from app.ui.presentation import Presentation, say
from app.ui.widgets.error_banner import ErrorBanner
from app.ui.window_state import WindowState

MINIMUM_SIZE = (1000, 640)
"""Fits a 1024 x 768 projector and a 1280 x 720 screen with a title bar and a task bar."""
SOURCE_SHARE = {False: 0.34, True: 0.37}
"""How much of the window's width the URL list or the lesson gets (in presentation mode: more,
for the lesson's code in big type), until the user drags the divider."""
PREFERRED_SIZE = (1280, 860)


class MainWindow(QMainWindow):
    """LoopLab's lab. Build it with :func:`app.ui.lab.create_window`."""

    run_finished = Signal(object)  # RunSummary: once per run, however it ended
    closed = Signal()  # the window was closed; its runs are being cancelled and resources released

    def __init__(
        self, controller: LabController, heartbeat: Heartbeat, reporter: ErrorReporter, server: DemoServer, *, owns_server: bool
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("LoopLab: blocking vs non-blocking"))
        # Closing the lab must not quit the application: quitting belongs to main() (and a
        # test's or a script's event loop must survive the window closing).
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.controller, self.heartbeat, self.reporter, self.server = controller, heartbeat, reporter, server
        self._owns_server = owns_server
        self._closing: asyncio.Task[None] | None = None

        self.banner = ErrorBanner(self)
        self.controls = ControlsPanel(controller, self)
        self.source = SourcePanel(controller, server.url, self)
        self.liveness = LivenessPanel(heartbeat, controller, self)
        self.report = ReportPanel(controller, heartbeat, self)
        self.results = ResultsPanel(controller, self)
        self._place_panels()
        self.server_label = plain_text.label(_("Demo server: {url}").format(url=f"{server.url}/"), self, name="serverLabel")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_label.setAccessibleName(_("Address of the built-in demo server"))
        self.statusBar().addPermanentWidget(self.server_label)

        self.exporter = Exporter(self, lambda: self.results.last_run, lambda text: say(self, text, 10000))
        self.code_files = CodeFiles(self, self.source, lambda text: say(self, text, 10000))
        self.presentation = Presentation(
            self, advanced=[self.controls.options_box, *self.liveness.titles], lesson_panel=self.source.lesson_panel,
            exit_button=self.controls.exit_presentation_button,
        )  # fmt: skip
        self.named_actions = actions.build(self, self._action_handlers())
        self.named_actions["xrayAction"].setChecked(controller.xray_enabled)
        self._enable_exports()
        self.state = WindowState(self, self.controls, self.source, self.presentation, server.url, self.fit_to_screen, heartbeat.guard)
        self.state.confirm_reset = lambda: plain_text.ask(
            self, _("Reset to defaults?"), _("Forget the URL list, the lesson and every setting, and start as on the first launch?")
        )
        self._connect()
        self.setMinimumSize(*MINIMUM_SIZE)
        self.fit_to_screen()
        self.state.restore(settings.load())
        self.state.start_saving()
        heartbeat.start()

    def _place_panels(self) -> None:
        # On the right, the liveness panel and the report at their natural height, the results
        # below with all the rest (the report grows only as far as its words need).
        right = QWidget(self)
        right.setObjectName("rightColumn")
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.liveness)
        column.addWidget(self.report)
        column.addWidget(self.results, 1)
        self.columns = QSplitter(Qt.Orientation.Horizontal, self)
        self.columns.setObjectName("columns")
        left = QWidget(self)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(self.controls.mode_note)  # right under the toggle it is about
        left_column.addWidget(self.source, 1)
        self.columns.addWidget(left)
        self.columns.addWidget(right)
        self.columns.setStretchFactor(0, 0)  # the source column keeps its share (set_column_shares)
        self.columns.setStretchFactor(1, 1)
        self.columns.setChildrenCollapsible(False)
        self._source_share = dict(SOURCE_SHARE)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.controls)
        layout.addWidget(self.columns, 1)
        self.setCentralWidget(central)
        # Tab as a person works: what to run, how, Run, then watch and read the results.
        chain_tab_order(self.banner, self.source, self.controls, self.liveness, self.report, self.results)

    def _action_handlers(self) -> dict[str, object]:
        handlers: dict[str, object] = {
            "openCodeAction": self.code_files.open_file,
            "saveCodeAction": self.code_files.save_file,
            "restoreDemoAction": self.source.restore_demo_urls,
            "settingsAction": lambda: self.state.open_settings(),  # the state is made after the actions
            "resetAction": self._reset_to_defaults,
            "quitAction": self.close,
            "runAction": lambda: self.controls.run_button.isEnabled() and self.controls.run_button.click(),
            "flipAction": lambda: self.controls.mode_toggle.isEnabled() and self.controls.mode_toggle.click(),
            "cancelAction": self._cancel,
            "urlsAction": self.source.open_urls,
            "presentationAction": lambda: self.presentation.set(self.named_actions["presentationAction"].isChecked()),
            "xrayAction": lambda: setattr(self.controller, "xray_enabled", self.named_actions["xrayAction"].isChecked()),
            "shortcutsAction": self.show_shortcuts,
            "aboutAction": lambda: self._open_dialog(AboutDialog(self)),
        }
        handlers |= {actions.export_action_name(f.kind): (lambda kind=f.kind: self.exporter.export(kind)) for f in FORMATS}
        handlers |= {actions.lesson_action_name(lesson.id): (lambda i=lesson.id: self.source.open_lesson(i)) for lesson in LESSONS}
        handlers |= self.presentation.zoom_handlers(lambda text: say(self, text, 5000))
        return handlers

    def _connect(self) -> None:
        self.controls.run_clicked.connect(self.start_run)
        self.controls.cancel_clicked.connect(self._cancel)
        self.controls.exit_presentation_button.clicked.connect(lambda: self.set_presentation(False))
        self.controls.mode_changed.connect(lambda mode: self.source.set_blocking(mode is FetchMode.BLOCKING))
        self.source.lesson_changed.connect(lambda _lesson: self.controls.set_lesson(self.source.current_lesson))
        for changed in (self.controls.mode_changed, self.source.lesson_changed):  # after the two above
            changed.connect(self._prepare_run)
        self.presentation.changed.connect(self.named_actions["presentationAction"].setChecked)
        self.presentation.changed.connect(self._share_columns)
        self.columns.splitterMoved.connect(self._on_columns_moved)
        self.reporter.error_reported.connect(self.banner.show_error)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.run_started.connect(self._on_controller_run_started)
        # Bound methods only for the controller's signals: it outlives a window deleted on close.
        self.controller.about_to_block.connect(self._on_controller_about_to_block)
        self.controller.run_finished.connect(self._on_controller_run_finished)

    # --- what people and scripts do ---

    def start_run(self) -> Run | None:
        """Run: the URL list or the chosen lesson, as the controls say."""
        controls = self.controls
        try:
            request = self.source.request(controls.mode, controls.concurrency_spin.value(), controls.options())
        except NothingToRun as nothing:
            say(self, str(nothing), 8000)
            self.source.focus_what_is_missing()
            return None
        # Run (or the toggle) is about to be disabled: typing would otherwise land in a spin box.
        if self.focusWidget() in (self.controls.run_button, self.controls.mode_toggle, None):
            self.liveness.typing_box.setFocus()
        try:
            return self.controller.start(request)
        except Exception as exc:  # noqa: BLE001 - a lesson that cannot even start is a bug: report it
            self.reporter.report(_("The run could not start"), exc)
            return None

    async def run_once(self) -> RunSummary:
        """Presses Run and returns the run's summary when it ends (for scripts: screenshots, benchmarks)."""
        while self.controller.state is not ControllerState.IDLE:  # e.g. just after a blocking run
            await asyncio.sleep(0.02)
        finished: asyncio.Future[RunSummary] = asyncio.get_running_loop().create_future()

        def receive(summary: RunSummary) -> None:
            if not finished.done():
                finished.set_result(summary)

        self.run_finished.connect(receive)
        try:
            if self.start_run() is None:
                raise RuntimeError("Run started nothing: the URL list has no URL")
            return await finished
        finally:
            self.run_finished.disconnect(receive)

    def export_last_run(self, path: str | Path, *, overwrite: bool = False, summary: RunSummary | None = None) -> Path:
        return self.exporter.export_last_run(path, overwrite=overwrite, summary=summary)

    def set_presentation(self, on: bool, *, full_screen: bool = True) -> None:
        self.presentation.set(on, full_screen=full_screen)

    def show_shortcuts(self) -> None:
        self._open_dialog(ShortcutsDialog(actions.shortcut_rows(self.named_actions), self))

    def fit_to_screen(self) -> None:
        # The preferred size where there is room; on a 1366 x 768 school laptop, what it allows.
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = PREFERRED_SIZE
        if screen is not None and screen.isValid():
            width = max(MINIMUM_SIZE[0], min(width, int(screen.width() * 0.95)))
            height = max(MINIMUM_SIZE[1], min(height, int(screen.height() * 0.92)))
        self.resize(width, height)

    async def wait_closed(self) -> None:
        """Returns once the window has been closed and everything it held is released."""
        if self._closing is not None:
            await self._closing

    # --- handlers ---

    def _cancel(self) -> None:
        if self.controller.cancel():
            say(self, _("Cancelling…"), 3000)

    def _reset_to_defaults(self) -> None:
        if self.state.reset_to_defaults():
            say(self, _("Settings reset to their defaults."), 8000)

    def _open_dialog(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _prepare_run(self, *_changed: object) -> None:
        """The lesson or the mode changed: the controller gets ready for what Run would run now."""
        with contextlib.suppress(NothingToRun):  # no list, no lesson: nothing to get ready for
            self.controller.prepare(self.source.request(self.controls.mode, 1, self.controls.options()))

    def _on_controller_state_changed(self, state: ControllerState) -> None:
        # What runs stays what is shown: no other lesson or list until this run ends.
        idle = state is ControllerState.IDLE
        for name in ("urlsAction", "openCodeAction", "restoreDemoAction", "resetAction", *(actions.lesson_action_name(lesson.id) for lesson in LESSONS)):
            self.named_actions[name].setEnabled(idle)

    def _enable_exports(self) -> None:
        for kind in FORMATS:
            self.named_actions[actions.export_action_name(kind.kind)].setEnabled(self.results.last_run is not None)

    def _on_controller_run_started(self, _run: Run) -> None:
        self.statusBar().clearMessage()

    def _on_controller_about_to_block(self, _run: Run) -> None:
        self.repaint()  # now, synchronously: the frame the freeze will show says what happens

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        self._enable_exports()
        self.run_finished.emit(summary)

    def _share_columns(self) -> None:
        share = self._source_share[self.presentation.on]
        self.columns.setSizes([round(share * 1000), round((1 - share) * 1000)])  # Qt scales them to the width

    def _on_columns_moved(self, position: int, _index: int) -> None:
        self._source_share[self.presentation.on] = position / max(1, self.columns.width())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._share_columns()  # the columns keep their shares of a bigger or smaller window

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._closing is None:
            self.state.save()
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
