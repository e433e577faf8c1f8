"""Predict, then run: the class guesses how long a lesson takes and whether the window freezes,
and the verdict sets the guess against what happened.

Guessing first makes a class commit to a model of the event loop; the run then confirms it or
surprises them, which is when people learn. A guess is never required: an unanswered question
is simply not compared.

Qt-free: the window offers :func:`duration_choices` and hands a :class:`Prediction` to the run
(``RunRequest.prediction``); :func:`compare` says how it went.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.lag import is_frozen
from app.core.units import format_duration
from app.i18n import _

CHOICE_FACTORS = (0.25, 0.5, 1.0, 2.0, 10.0)
"""The choices offered, as multiples of the lesson's own time: the tempting wrong answers of the
lessons are among them ("all ten at once" vs "one after another" is 1x vs 10x, "the longest
wait" vs "the waits added up" about 0.5x vs 1x)."""


@dataclass(frozen=True)
class Prediction:
    """What the class expects before Run; None where they did not answer."""

    seconds: float | None = None
    """"About this long"; one of :attr:`choices`."""
    freeze: bool | None = None
    """True: "the window will freeze"."""
    choices: tuple[float, ...] = ()
    """The times that were offered (the nearest one to what happened counts as right)."""

    @property
    def answered(self) -> bool:
        return self.seconds is not None or self.freeze is not None


@dataclass(frozen=True)
class Comparison:
    """A prediction against a run."""

    text: str
    time_right: bool | None
    """None: the time was not predicted."""
    freeze_right: bool | None


def duration_choices(expected: float) -> tuple[float, ...]:
    """A few times around ``expected`` seconds, shortest first, each a round number."""
    return tuple(sorted({float(f"{expected * factor:.2g}") for factor in CHOICE_FACTORS if expected * factor > 0}))


def choice_text(seconds: float) -> str:
    """How a choice reads: "about 2 s", "about 0.5 s"."""
    return _("about {seconds} s").format(seconds=f"{seconds:g}")


def nearest(choices: tuple[float, ...], seconds: float) -> float | None:
    """The choice closest to ``seconds`` in proportion (0.5 s is as far from 1 s as 2 s is)."""
    if not choices or seconds <= 0:
        return None
    return min(choices, key=lambda choice: abs(math.log(choice / seconds)))


def compare(prediction: Prediction, wall_time: float, longest_freeze: float) -> Comparison:
    """One or two sentences: "You predicted about 2 s and a frozen window: it took 2.04 s and the
    window stayed alive. Right about the time; the window surprised you." Frozen means what it
    means everywhere in LoopLab (:func:`app.core.lag.is_frozen`)."""
    froze = is_frozen(longest_freeze)
    guessed, happened = [], []
    time_right = freeze_right = None
    if prediction.seconds is not None:
        guessed.append(choice_text(prediction.seconds))
        happened.append(_("it took {time}").format(time=format_duration(wall_time)))
        best = nearest(prediction.choices, wall_time)
        time_right = best == prediction.seconds if best is not None else abs(math.log(max(wall_time, 1e-3) / prediction.seconds)) < math.log(1.5)
    if prediction.freeze is not None:
        guessed.append(_("a frozen window") if prediction.freeze else _("a window that stays alive"))
        happened.append(
            _("the window froze for {time}").format(time=format_duration(longest_freeze)) if froze else _("the window stayed alive")
        )
        freeze_right = prediction.freeze == froze
    if not guessed:
        return Comparison("", None, None)
    if len(guessed) == 2:
        # Translators: "You predicted about 2 s and a frozen window: it took 2.04 s and the window stayed alive."
        text = _("You predicted {guess} and {guess2}: {happened} and {happened2}.").format(
            guess=guessed[0], guess2=guessed[1], happened=happened[0], happened2=happened[1]
        )
    else:
        text = _("You predicted {guess}: {happened}.").format(guess=guessed[0], happened=happened[0])
    outcomes = [right for right in (time_right, freeze_right) if right is not None]
    if all(outcomes):
        text += " " + (_("Right!") if len(outcomes) == 1 else _("Right on both."))
    elif time_right is True:
        text += " " + _("Right about the time; the window surprised you.")
    elif freeze_right is True:
        text += " " + _("Right about the window; the time surprised you.")
    else:
        text += " " + _("A surprise: why did it go that way?")
    return Comparison(text, time_right, freeze_right)
