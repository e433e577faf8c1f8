"""The lessons panel: the list of lessons, the chosen one's explanation, settings and code.

Display-only: it says which lesson and settings the user picked (signals) and shows what the
window tells it to (:meth:`LessonPanel.show_lesson`, :meth:`LessonPanel.show_verdict`). The code
comes from ``app.core.lessons`` (or is the user's edit of it) and is the very text that runs.

"Predict before Run" is one switch per look: off by default in the normal window, on in
presentation mode (where a class watches together); while it asks, the lesson's expectation is
kept back until the run has answered it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.lessons import GATHER_URLS, LESSONS, SCALES, Lesson, LessonSetup, Verdict
from app.core.predictions import Prediction
from app.i18n import N_, _
from app.ui import plain_text
from app.ui.actions import lesson_keys
from app.ui.widgets import repolish
from app.ui.widgets.code_area import CodeArea
from app.ui.widgets.prediction_box import PredictionBox

DEFAULT_SCALE = 1.0
QWIDGETSIZE_MAX = (1 << 24) - 1
NO_LESSON = N_("Choose a lesson above. Each one is a short program you can watch run.")
"""Shown as ``_(NO_LESSON)``."""


def scale_text(scale: float) -> str:
    return f"×{scale:g}" + ("  " + _("(tutorial)") if scale == 1.0 else "")


class LessonPanel(QWidget):
    """Pick a lesson, read what it shows, see its code; the window's Run button runs it."""

    lesson_chosen = Signal(str)  # lesson id ("" when none is chosen)
    settings_changed = Signal()  # the time scale or the limit moved

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.lesson_list = QListWidget(self)
        self.lesson_list.setObjectName("lessonList")
        self.lesson_list.setAccessibleName(_("Lessons"))
        # Exactly as tall as its rows (_fit_list), and titles too long for the column are elided
        # (the full title is in the tooltip): no scroll bar may hide a lesson.
        self.lesson_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lesson_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lesson_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        for number, lesson in enumerate(LESSONS, start=1):
            item = QListWidgetItem(f"{number}. {lesson.title}")
            item.setData(Qt.ItemDataRole.UserRole, lesson.id)
            keys = lesson_keys(number)
            item.setToolTip(f"{lesson.title} ({keys[0]})" if keys else lesson.title)
            self.lesson_list.addItem(item)

        self.intro = plain_text.wrapped_label(_(NO_LESSON), self, name="lessonIntro")
        self.intro.setAccessibleName(_("What the lesson shows"))

        self.scale_combo = QComboBox(self)
        self.scale_combo.setObjectName("timeScaleCombo")
        self.scale_combo.setAccessibleName(_("Time scale of the lesson"))
        self.scale_combo.setToolTip(_("Shorter or longer waits than the tutorial's; the code shows the scaled numbers"))
        for scale in SCALES:
            self.scale_combo.addItem(scale_text(scale), scale)
        self.scale_combo.setCurrentIndex(SCALES.index(DEFAULT_SCALE))

        self.limit_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.limit_slider.setObjectName("limitSlider")
        self.limit_slider.setAccessibleName(_("Requests allowed at once"))
        self.limit_slider.setRange(1, GATHER_URLS)
        self.limit_slider.setValue(3)
        self.limit_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.limit_value = plain_text.label(parent=self)
        self.limit_value.setObjectName("limitValue")
        self.limit_caption = plain_text.label(_("At once:"), self)
        self.limit_caption.setBuddy(self.limit_slider)

        self.expectation = plain_text.wrapped_label(parent=self, name="lessonExpectation")
        self.verdict = plain_text.wrapped_label(parent=self, name="lessonVerdict")
        self.verdict.setAccessibleName(_("Expected against observed"))
        self.code_area = CodeArea(self)
        self.code_view = self.code_area.view
        self.prediction_box = PredictionBox(self)
        self._asking = {False: False, True: True}  # "Predict before Run", normal look and presentation mode

        # Two short rows rather than one long one: the column stays narrow in presentation mode.
        settings = QGridLayout()
        scale_caption = plain_text.label(_("Time scale:"), self)
        scale_caption.setBuddy(self.scale_combo)
        settings.addWidget(scale_caption, 0, 0)
        settings.addWidget(self.scale_combo, 0, 1, 1, 2, Qt.AlignmentFlag.AlignLeft)
        settings.addWidget(self.limit_caption, 1, 0)
        settings.addWidget(self.limit_slider, 1, 1)
        settings.addWidget(self.limit_value, 1, 2)
        settings.setColumnStretch(1, 1)

        # The words (which can be long) scroll in their own area; the code is in view under
        # them, and the divider between the two can be dragged.
        words = QWidget(self)
        words_layout = QVBoxLayout(words)
        words_layout.setContentsMargins(0, 0, 4, 0)
        words_layout.addWidget(self.intro)
        words_layout.addLayout(settings)
        words_layout.addWidget(self.prediction_box)
        words_layout.addWidget(self.expectation)
        words_layout.addWidget(self.verdict)
        words_layout.addStretch(1)
        self.words = QScrollArea(self)
        self.words.setObjectName("lessonWords")
        self.words.setAccessibleName(_("About the lesson: what it shows, its settings and the verdict"))
        self.words.setWidget(words)
        self.words.setWidgetResizable(True)
        self.words.setFrameShape(QFrame.Shape.NoFrame)
        self.words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.setObjectName("lessonSplit")
        self.split.addWidget(self.words)
        self.split.addWidget(self.code_area)
        self.split.setChildrenCollapsible(False)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.lesson_list)
        layout.addWidget(self.split, 1)
        self._fit_list()

        self.lesson_list.currentItemChanged.connect(self._on_lesson_list_current_changed)
        self.scale_combo.currentIndexChanged.connect(lambda _index: self.settings_changed.emit())
        self.limit_slider.valueChanged.connect(self._on_limit_slider_changed)
        self.prediction_box.asking_changed.connect(self._on_prediction_box_asking_changed)
        self._compact = False
        self._on_limit_slider_changed(self.limit_slider.value())
        self._show_limit(False)
        self.show_verdict(None)

    # --- what the window reads and sets ---

    @property
    def lesson_id(self) -> str:
        item = self.lesson_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def choose(self, lesson_id: str) -> bool:
        """Selects the lesson ``lesson_id``; False if there is none by that id."""
        for row in range(self.lesson_list.count()):
            if self.lesson_list.item(row).data(Qt.ItemDataRole.UserRole) == lesson_id:
                self.lesson_list.setCurrentRow(row)
                return True
        return False

    @property
    def scale(self) -> float:
        return float(self.scale_combo.currentData())

    def set_scale(self, scale: float) -> None:
        index = self.scale_combo.findData(scale)
        if index >= 0:
            self.scale_combo.setCurrentIndex(index)

    @property
    def limit(self) -> int:
        return self.limit_slider.value()

    def set_limit(self, limit: int) -> None:
        self.limit_slider.setValue(limit)

    def show_lesson(self, lesson: Lesson | None, setup: LessonSetup | None, code: str | None = None) -> None:
        """Shows ``lesson`` as it would run with ``setup`` (its intro, expectation and code, or
        ``code`` instead: its edited text)."""
        if lesson is None or setup is None:
            self.intro.setText(_(NO_LESSON))
            self.expectation.clear()
            self.code_view.show_code("")
            self._show_limit(False)
            return
        variant = ""
        if lesson.toggle_picks_variant:
            variant = "\n\n" + (
                _("Variant: blocking (the toggle says Sync: blocking). Flip it to Async for the non-blocking one.")
                if setup.blocking
                else _("Variant: async (the toggle says Async: non-blocking). Flip it to Sync for the blocking one.")
            )
        self.intro.setText(lesson.intro(setup) + variant)
        self.expectation.setText(lesson.expectation(setup))
        self.code_view.show_code(lesson.code(setup) if code is None else code)
        self.prediction_box.offer(lesson.expected_seconds(setup))
        self.limit_caption.setText(lesson.limit_caption)
        self.limit_slider.setAccessibleName(lesson.limit_description)
        self._show_limit(lesson.uses_limit)

    def show_verdict(self, verdict: Verdict | None, *, claimed: bool = True) -> None:
        """The verdict after a run (None: none yet); ``claimed`` False for code that claims
        nothing (edited, the playground): what happened, neither right nor wrong."""
        if verdict is None:
            self.verdict.clear()
            self.verdict.setProperty("verdict", "")
        else:
            self.verdict.setText(verdict.text)
            self.verdict.setProperty("verdict", ("ok" if verdict.as_expected else "off") if claimed else "report")
        self.verdict.setVisible(verdict is not None and not self._compact)
        self._show_expectation()
        repolish(self.verdict)

    def prediction(self) -> Prediction | None:
        """What the class predicted for the next run, if it was asked and answered."""
        return self.prediction_box.prediction()

    def set_compact(self, compact: bool) -> None:
        """Presentation mode: only the list and the code. The teacher tells the story, and the
        window's report already states the verdict in big type."""
        self._compact = compact
        self.intro.setVisible(not compact)
        self.verdict.setVisible(bool(self.verdict.text()) and not compact)
        self.prediction_box.set_asking(self._asking[compact])
        self._show_expectation()
        self._fit_words()

    def _show_expectation(self) -> None:
        # While the class is asked to predict, the lesson does not say the answer first.
        answered = bool(self.verdict.text()) or not self.prediction_box.asking
        self.expectation.setVisible(not self._compact and answered)

    def _on_prediction_box_asking_changed(self, on: bool) -> None:
        self._asking[self._compact] = on
        self._show_expectation()
        self._fit_words()
        if on:  # the questions in view, under an intro that may have scrolled them away
            QTimer.singleShot(0, self, lambda: self.words.ensureWidgetVisible(self.prediction_box))

    def _fit_words(self) -> None:
        """In compact mode only the settings are left above the code: their area shrinks to them.
        Their area is never narrower than they need: it scrolls up and down only, so what did not
        fit across would be cut at the side (the window's columns make room instead)."""
        content = self.words.widget()
        content.layout().activate()
        self.words.setMaximumHeight(content.sizeHint().height() + 4 if self._compact else QWIDGETSIZE_MAX)
        self.words.setMinimumWidth(content.minimumSizeHint().width() + self.words.verticalScrollBar().sizeHint().width())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_list()  # presentation mode: bigger rows, and still no scrolling
            self._fit_words()  # and wider settings

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit_list()  # the style sheet's font is known only once the panel is polished

    def _fit_list(self) -> None:
        """The list is exactly as tall as its lessons: all visible, no scroll bar."""
        rows = self.lesson_list.sizeHintForRow(0) * self.lesson_list.count()
        self.lesson_list.setFixedHeight(rows + 2 * self.lesson_list.frameWidth() + 2)

    # --- handlers ---

    def _on_lesson_list_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.show_verdict(None)
        self.lesson_chosen.emit(current.data(Qt.ItemDataRole.UserRole) if current is not None else "")

    def _on_limit_slider_changed(self, value: int) -> None:
        self.limit_value.setText(_("{value} of {total}").format(value=value, total=GATHER_URLS))
        self.settings_changed.emit()

    def _show_limit(self, visible: bool) -> None:
        for widget in (self.limit_caption, self.limit_slider, self.limit_value):
            widget.setVisible(visible)
        self._fit_words()
