"""The controls: the big mode toggle, Run and Cancel, and the advanced options.

The panel enables and disables itself from the controller's state (a run under way, or just
after a blocking one), so no other code keeps a copy of whether Run may be pressed. Run pressed
in the first moments after the window appears, while the lab is still starting, is kept: the run
starts as soon as the lab is ready.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGridLayout, QPushButton, QSpinBox, QWidget

from app.core.lessons import Lesson
from app.core.options import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, FetchOptions
from app.core.run import FetchMode, Run, RunSummary
from app.ui import plain_text
from app.ui.accessibility import chain_tab_order
from app.ui.controller import ControllerState, LabController
from app.ui.widgets.mode_toggle import ModeToggle

TOGGLE_TIP = (
    "Flip between fetching with aiohttp on the event loop (the window stays alive)\n"
    "and fetching with requests on the GUI thread (the window freezes).\nShortcut: Ctrl+B"
)


class ControlsPanel(QWidget):
    """Mode, Run, Cancel and the options a run takes. Emits what the user asks for."""

    run_clicked = Signal()
    cancel_clicked = Signal()
    mode_changed = Signal(object)  # FetchMode

    def __init__(self, controller: LabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlsPanel")
        self._controller = controller
        self._lesson: Lesson | None = None
        self._run_pressed_while_starting = False
        self.mode_toggle = ModeToggle(self)
        self.mode_toggle.setToolTip(TOGGLE_TIP)
        self.run_button = QPushButton("▶  Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.setAccessibleName("Run")
        self.run_button.setToolTip("Run the URL list or the chosen lesson (Ctrl+Return)")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("■  Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setToolTip("Stop the run under way (Esc)")
        self.cancel_button.setEnabled(False)
        # Presentation mode hides the menus: this is the way out for a mouse (besides F11).
        self.exit_presentation_button = QPushButton("Exit presentation (F11)", self)
        self.exit_presentation_button.setObjectName("exitPresentationButton")
        self.exit_presentation_button.setAccessibleName("Exit presentation mode")
        self.exit_presentation_button.hide()
        # Said on screen whenever the toggle does not apply: a lesson never changes it silently.
        self.mode_note = plain_text.wrapped_label(parent=self, name="modeNote")
        self.mode_note.hide()

        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setObjectName("concurrencySpin")
        self.concurrency_spin.setRange(1, 1000)
        self.concurrency_spin.setValue(DEFAULT_CONCURRENCY)
        self.concurrency_spin.setAccessibleName("Concurrency: requests at once")
        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setObjectName("timeoutSpin")
        self.timeout_spin.setRange(0.5, 120.0)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(DEFAULT_TIMEOUT)
        self.timeout_spin.setAccessibleName("Timeout per request, in seconds")
        self.timeout_spin.setToolTip("A request that takes longer than this fails with a timeout")
        self.options_box = QWidget(self)  # "advanced": hidden in presentation mode
        options = QFormLayout(self.options_box)
        options.setContentsMargins(0, 0, 0, 0)
        for caption, field in (("At most at once:", self.concurrency_spin), ("Timeout:", self.timeout_spin)):
            options.addRow(plain_text.label(caption, self.options_box), field)

        # The window places mode_note (under the toggle, over the lesson: it says why the toggle
        # does not apply to it); beside the buttons it would squeeze them.
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for column, widget in enumerate((self.mode_toggle, self.run_button, self.cancel_button)):
            grid.addWidget(widget, 0, column)
        grid.addWidget(self.exit_presentation_button, 0, 3, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.options_box, 0, 4, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        # Tab as a form is filled in: how (the mode and the options), then go (Run, Cancel); the
        # grid's order would put the options after Cancel.
        chain_tab_order(self.mode_toggle, self.concurrency_spin, self.timeout_spin, self.run_button, self.cancel_button, self.exit_presentation_button)

        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.mode_toggle.toggled.connect(self._on_mode_toggle_toggled)
        controller.state_changed.connect(self._on_controller_state_changed)
        # Bound methods, never lambdas, for the controller's signals: the controller outlives a
        # window deleted on close, and Qt drops a connection only when its receiver goes.
        controller.run_started.connect(self._on_controller_run_progress)
        controller.records_changed.connect(self._on_controller_records_changed)
        controller.run_finished.connect(self._on_controller_run_finished)
        self._update()

    # --- what the window reads and sets ---

    @property
    def mode(self) -> FetchMode:
        return self.mode_toggle.mode

    def set_mode(self, mode: FetchMode) -> None:
        self.mode_toggle.setChecked(mode is FetchMode.BLOCKING)

    def options(self) -> FetchOptions:
        return FetchOptions(timeout=self.timeout_spin.value())

    def set_lesson(self, lesson: Lesson | None) -> None:
        """The lesson Run will run (None: the URL list). A lesson about async code has no blocking
        variant: the toggle stays as the user set it, disabled, and the note says why."""
        self._lesson = lesson
        self._update()

    # --- handlers ---

    def _on_mode_toggle_toggled(self, _checked: bool) -> None:
        self._update()
        self.mode_changed.emit(self.mode)

    def _on_run_button_clicked(self) -> None:
        if self._controller.state is ControllerState.STARTING:
            self._run_pressed_while_starting = True  # Run disabled till then: it was heard
            self._update()
        else:
            self.run_clicked.emit()

    def _on_controller_state_changed(self, state: ControllerState) -> None:
        pressed = state is ControllerState.IDLE and self._run_pressed_while_starting
        self._run_pressed_while_starting = False
        self._update()
        if pressed:
            # Pressed again, as the person did, once every panel has heard that the lab is
            # idle: starting the run inside this signal would announce "running" before "idle".
            QTimer.singleShot(0, self.run_button.click)

    def _on_controller_records_changed(self, _rows: list[int]) -> None:
        self._on_controller_run_progress(self._controller.active_run)

    def _on_controller_run_progress(self, run: Run | None) -> None:
        # A blocking run cannot take a click once it fetches; while it checks a long list, it can.
        self.cancel_button.setEnabled(run is not None and (run.mode is FetchMode.ASYNC or run.planning))

    def _on_controller_run_finished(self, _summary: RunSummary) -> None:
        self.cancel_button.setEnabled(False)

    def _update(self) -> None:
        # While the lab starts, everything can be set, and Run pressed (it waits for the lab).
        idle = self._controller.state in (ControllerState.IDLE, ControllerState.STARTING)
        fixed = self._lesson is not None and not self._lesson.toggle_picks_variant
        self.run_button.setEnabled(idle and not self._run_pressed_while_starting)
        self.mode_toggle.setEnabled(idle and not fixed)
        # Blocking runs fetch one at a time: the limit only means something for async URL runs.
        self.concurrency_spin.setEnabled(idle and self._lesson is None and self.mode is FetchMode.ASYNC)
        self.timeout_spin.setEnabled(idle and self._lesson is None)
        self.concurrency_spin.setToolTip(
            "Blocking runs do one request at a time" if self.mode is FetchMode.BLOCKING else "How many requests an async run keeps in flight at once"
        )
        if fixed:
            self.mode_note.setText("This lesson's code is async: the toggle applies to the sleep, cpu and thread lessons.")
        self.mode_note.setVisible(fixed)
        self.run_button.setToolTip(
            f"Run the lesson \"{self._lesson.title}\" (Ctrl+Return)" if self._lesson else "Fetch every URL in the list, in the chosen mode (Ctrl+Return)"
        )
