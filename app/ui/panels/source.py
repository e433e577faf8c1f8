"""What Run runs: your URL list, or a lesson with its exact code (as edited, if it was).

Two tabs. The panel knows which one is open and which lesson is chosen, builds the
:class:`~app.core.run.RunRequest` that Run hands to the controller (with the code in the editor
and the class's prediction), and shows a lesson's verdict when a run of it ends (read from the
run's own request, never from what is on screen).

Edits are kept per lesson for the session (:class:`~app.core.user_code.CodeEdits`): switching
lessons, or changing the time scale, the variant or the limit, never throws one away; the code
then says it is edited, and Reset brings back the lesson's own code for the settings of the
moment. Code that cannot start, or fails, is marked at its line, with the reason above it;
what the code prints is shown under it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.core.demo_server import demo_urls
from app.core.freeze_cause import longest
from app.core.lessons import Lesson, LessonSetup, PlaygroundLesson, lesson_by_id
from app.core.options import FetchOptions
from app.core.run import FetchMode, Run, RunRequest, RunSummary, format_duration
from app.core.user_code import CodeEdits, CodeProblem
from app.core.verdicts import makes_claim, verdict_for
from app.i18n import _
from app.ui import plain_text
from app.ui.controller import ControllerState, LabController
from app.ui.widgets.lesson_panel import LessonPanel
from app.ui.widgets.url_editor import UrlEditor


class NothingToRun(Exception):
    """Run was pressed with nothing to run; the message says what to do."""


class SourcePanel(QTabWidget):
    """"Your URLs" and "Lessons". Emits :attr:`lesson_changed` when what Run would run changes."""

    lesson_changed = Signal(object)  # Lesson | None (the URL list)
    settings_changed = Signal()  # a lesson's time scale or limit moved, or the URL list changed

    def __init__(self, controller: LabController, server_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceTabs")
        self.setAccessibleName(_("What Run runs: your URLs or a lesson"))
        self._controller = controller
        self._server_url = server_url
        self._blocking = False  # the toggle, which picks a lesson's variant
        self.edits = CodeEdits()

        self.url_editor = UrlEditor(self)
        self.url_edit = self.url_editor.edit
        self.url_edit.setPlaceholderText(_("One URL per line, e.g. {url}").format(url=f"{server_url}/delay/2"))
        self.url_edit.setTabChangesFocus(True)  # Tab moves on: the list is no keyboard trap
        self.url_editor.set_text(self.demo_text())
        self.urls_page = QWidget(self)
        page = QVBoxLayout(self.urls_page)
        page.setContentsMargins(4, 4, 4, 4)
        title = plain_text.wrapped_label(_("URLs to fetch, one per line"), self.urls_page, name="panelTitle")
        title.setBuddy(self.url_edit)
        page.addWidget(title)
        page.addWidget(self.url_editor)
        self.lesson_panel = LessonPanel(self)
        self.addTab(self.urls_page, _("Your URLs"))
        self.addTab(self.lesson_panel, _("Lessons"))

        self.currentChanged.connect(self._on_current_changed)
        self.lesson_panel.lesson_chosen.connect(self._on_lesson_panel_lesson_chosen)
        self.lesson_panel.settings_changed.connect(self._on_lesson_panel_settings_changed)
        self.url_editor.changed.connect(self.settings_changed)
        self.lesson_panel.code_view.code_edited.connect(self._on_code_view_code_edited)
        self.lesson_panel.code_area.reset_button.clicked.connect(self.reset_code)
        controller.code_rejected.connect(self._on_controller_code_rejected)
        self._show_code_state()
        controller.state_changed.connect(self._on_controller_state_changed)
        controller.run_started.connect(self._on_controller_run_started)
        controller.run_finished.connect(self._on_controller_run_finished)
        controller.output_printed.connect(self.lesson_panel.code_area.show_output)

    # --- what the window reads and sets ---

    @property
    def current_lesson(self) -> Lesson | None:
        """The lesson Run runs: the chosen one while the Lessons tab is open, else None (the URLs)."""
        if self.currentWidget() is not self.lesson_panel or not self.lesson_panel.lesson_id:
            return None
        return lesson_by_id(self.lesson_panel.lesson_id)

    def lesson_setup(self) -> LessonSetup:
        panel = self.lesson_panel
        return LessonSetup(base_url=self._server_url, scale=panel.scale, blocking=self._blocking, limit=panel.limit)

    def request(self, mode: FetchMode, concurrency: int, options: FetchOptions) -> RunRequest:
        """What Run would run now; :class:`NothingToRun` when the list or the lesson is missing."""
        if self.currentWidget() is self.lesson_panel:
            lesson = self.current_lesson
            if lesson is None:
                raise NothingToRun(_("Choose a lesson in the list first, then press Run."))
            code = self.lesson_panel.code_view.toPlainText()  # what is in the editor is what runs
            return RunRequest.for_lesson(lesson, self.lesson_setup(), source=code, prediction=self.lesson_panel.prediction())
        if not self.url_editor.has_urls():
            raise NothingToRun(_("Add at least one URL, one per line, then press Run."))
        return RunRequest.urls(self.url_editor.text(), mode, concurrency=concurrency, options=options)

    def focus_what_is_missing(self) -> None:
        (self.lesson_panel.lesson_list if self.currentWidget() is self.lesson_panel else self.url_edit).setFocus()

    def set_blocking(self, blocking: bool) -> None:
        """The toggle moved: a lesson with two variants shows the other one."""
        self._blocking = blocking
        self._show_lesson()

    def open_lesson(self, lesson_id: str) -> None:
        """Shows the Lessons tab with ``lesson_id`` chosen (KeyError for an unknown id)."""
        lesson_by_id(lesson_id)
        self.setCurrentWidget(self.lesson_panel)
        self.lesson_panel.choose(lesson_id)

    def open_urls(self) -> None:
        self.setCurrentWidget(self.urls_page)

    def open_code(self, code: str) -> None:
        """Puts ``code`` (a .py file's text) in the playground, as an edit Ctrl+Z can undo."""
        self.open_lesson(PlaygroundLesson.id)
        self.lesson_panel.code_view.replace_code(code)
        self.lesson_panel.code_view.setFocus()

    def reset_code(self) -> None:
        """Reset: the chosen lesson's own code again, for the settings of the moment (Ctrl+Z undoes it)."""
        lesson = self.current_lesson
        if lesson is not None:
            self.edits.forget(lesson.id)
            self.lesson_panel.code_view.replace_code(lesson.code(self.lesson_setup()))

    def demo_text(self) -> str:
        return "\n".join(demo_urls(self._server_url))

    def restore_demo_urls(self) -> None:
        self.url_editor.set_text(self.demo_text())

    # --- handlers ---

    def _on_current_changed(self, _index: int) -> None:
        self._show_lesson()
        self.lesson_changed.emit(self.current_lesson)

    def _on_lesson_panel_lesson_chosen(self, _lesson_id: str) -> None:
        self.lesson_panel.code_area.clear_output()  # it was another lesson's, like the verdict
        self._show_lesson()
        self.lesson_changed.emit(self.current_lesson)

    def _on_lesson_panel_settings_changed(self) -> None:
        self._show_lesson()
        self.settings_changed.emit()

    def _on_controller_state_changed(self, state: ControllerState) -> None:
        # What runs stays what is shown: no other lesson, scale or limit, and no edit, until this run ends.
        free = state is ControllerState.IDLE
        for widget in (self.tabBar(), self.lesson_panel.lesson_list, self.lesson_panel.scale_combo, self.lesson_panel.limit_slider):
            widget.setEnabled(free)
        self._show_code_state()

    def _on_code_view_code_edited(self) -> None:
        lesson = self.current_lesson
        if lesson is not None:
            self.edits.record(lesson.id, self.lesson_panel.code_view.toPlainText(), lesson.code(self.lesson_setup()))
        self.lesson_panel.code_area.show_problem(None)  # it was about the code before this edit
        self._show_code_state()

    def _on_controller_code_rejected(self, problem: CodeProblem) -> None:
        # Nothing ran: the reason goes right above the code, and the line is marked.
        self.lesson_panel.show_verdict(None)
        self.lesson_panel.code_area.show_problem(problem)
        self.lesson_panel.code_view.mark_error(problem.line, problem.column)

    def _on_controller_run_started(self, _run: Run) -> None:
        self.lesson_panel.show_verdict(None)
        self.lesson_panel.code_area.show_problem(None)
        self.lesson_panel.code_area.clear_output()
        self.lesson_panel.code_view.clear_mark()
        self.lesson_panel.code_view.mark_error(None)

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        request = summary.request
        lesson = request.lesson if request is not None else None
        if lesson is None or request is None or request.setup is None:
            return
        self._mark_freeze(summary, lesson.id)
        if summary.problem is not None:
            self.lesson_panel.code_area.show_problem(summary.problem)
            self.lesson_panel.code_view.mark_error(summary.problem.line)
        verdict = verdict_for(summary)
        if verdict is not None:
            self.lesson_panel.show_verdict(verdict, claimed=makes_claim(request))
        self.lesson_panel.prediction_box.clear()  # the next run is predicted afresh

    def _mark_freeze(self, summary: RunSummary, lesson_id: str) -> None:
        """Marks the lesson's line that froze the window longest, with the time spent on it."""
        cause = longest(c for c in summary.freeze_causes if c.culprit is not None and c.culprit.lesson_id == lesson_id)
        if cause is not None and cause.culprit is not None:
            self.lesson_panel.code_view.mark_line(cause.culprit.lineno, format_duration(cause.seconds_in_culprit))

    def _show_lesson(self) -> None:
        lesson = self.current_lesson
        setup = self.lesson_setup()
        shown = self.lesson_panel.code_view.toPlainText()
        self.lesson_panel.show_lesson(lesson, setup, self.edits.code(lesson.id, lesson.code(setup)) if lesson else None)
        if self.lesson_panel.code_view.toPlainText() != shown:
            self.lesson_panel.code_area.show_problem(None)  # it was about the code no longer shown
        self._show_code_state()

    def _show_code_state(self) -> None:
        """The code is editable when a lesson is chosen and no run is under way; it says whether it is edited."""
        lesson, free = self.current_lesson, self._controller.state is ControllerState.IDLE
        edited = lesson is not None and self.edits.is_edited(lesson.id)
        self.lesson_panel.code_view.setReadOnly(lesson is None or not free)
        self.lesson_panel.code_area.show_state(edited=edited, playground=isinstance(lesson, PlaygroundLesson), resettable=edited and free)
