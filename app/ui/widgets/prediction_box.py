"""Predict, then run: two questions the class answers before Run, both optional.

"How long will it take?" offers a few times around the lesson's own (``app.core.predictions``);
"Will the window freeze?" is yes or no. Each list starts at its question, which means no guess:
left there, the question is skipped. Unticking "Predict before Run" hides both. One row for the
two lists, so the code keeps its room on a projector. Display-only: the source panel reads :meth:`PredictionBox.prediction`
into the run's request, and the verdict compares.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QWidget

from app.core.predictions import Prediction, choice_text, duration_choices
from app.i18n import N_, _

TIME_QUESTION = N_("How long?")
FREEZE_QUESTION = N_("Freeze?")
"""Both shown as ``_(...)``."""


class PredictionBox(QWidget):
    """The "Predict before Run" switch (``predictCheck``) and its two questions."""

    asking_changed = Signal(bool)  # the switch moved

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictionBox")
        self.ask_check = QCheckBox(_("Predict before Run"), self)
        self.ask_check.setObjectName("predictCheck")
        self.ask_check.setToolTip(
            _(
                "Before Run, the class guesses how long it takes and whether the window freezes;\n"
                "the verdict then says how the guess went. Leave a question unanswered to skip it."
            )
        )
        self.time_combo = QComboBox(self)
        self.time_combo.setObjectName("predictTimeCombo")
        self.time_combo.setAccessibleName(_("Prediction: how long will it take?"))
        self.freeze_combo = QComboBox(self)
        self.freeze_combo.setObjectName("predictFreezeCombo")
        self.freeze_combo.setAccessibleName(_("Prediction: will the window freeze?"))
        self.time_combo.setToolTip(_("How long will it take? (left at the question: no guess)"))
        self.freeze_combo.setToolTip(_("Will the window freeze? (left at the question: no guess)"))
        for text, value in ((_(FREEZE_QUESTION), None), (_("yes, it freezes"), True), (_("no, stays alive"), False)):
            self.freeze_combo.addItem(text, value)
        self._choices: tuple[float, ...] = ()
        self.offer(1.0)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.ask_check, 0, 0, 1, 2)
        grid.addWidget(self.time_combo, 1, 0)
        grid.addWidget(self.freeze_combo, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.ask_check.toggled.connect(self._on_ask_check_toggled)
        self._on_ask_check_toggled(False)

    @property
    def asking(self) -> bool:
        return self.ask_check.isChecked()

    def set_asking(self, on: bool) -> None:
        self.ask_check.setChecked(on)

    def offer(self, expected: float) -> None:
        """Times around ``expected`` seconds; a guess already made stays if it is still on offer."""
        choices = duration_choices(expected)
        if choices == self._choices:
            return
        self._choices = choices
        self.time_combo.clear()
        self.time_combo.addItem(_(TIME_QUESTION), None)
        for seconds in choices:
            self.time_combo.addItem(choice_text(seconds), seconds)

    def prediction(self) -> Prediction | None:
        """What was guessed, or None (not asking, or nothing guessed)."""
        if not self.asking:
            return None
        found = Prediction(self.time_combo.currentData(), self.freeze_combo.currentData(), self._choices)
        return found if found.answered else None

    def clear(self) -> None:
        """Back to the questions (no guess): the next run is guessed afresh."""
        self.time_combo.setCurrentIndex(0)
        self.freeze_combo.setCurrentIndex(0)

    def _on_ask_check_toggled(self, on: bool) -> None:
        for widget in (self.time_combo, self.freeze_combo):
            widget.setVisible(on)
        self.asking_changed.emit(on)
