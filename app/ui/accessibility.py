"""What a screen reader hears: live descriptions, the announcement at the end of a run, and Tab.

Every widget has an accessible name (what it is: "Freeze meter") and description (what it shows
now: "Window lateness: 4 ms, smooth"). Setting either one is enough for assistive technology to
hear of it: QWidget sends the NameChanged or DescriptionChanged event itself, and only when the
text really changes. What this module adds:

- :class:`LiveDescription`, for the custom-drawn widgets whose value moves many times a second
  (the meter, the lag graph): their description follows the value at most every
  :data:`~app.core.lag.DESCRIBE_INTERVAL`, and an unchanged value costs one string compare. A
  screen reader reads a description when the user moves to the widget; thirty change events a
  second would only flood it.
- :func:`announce`: one sentence spoken when the screen reader has finished what it is saying
  (a polite announcement, Qt 6.8 and later), e.g. the end of a run or code that cannot start;
  an unexpected error is said at once (assertive). Older Qt has no
  announcements: the window's status bar shows the sentence instead, where a screen reader reads
  it on request (NVDA+End, for one); not in presentation mode, which hides the bar (the report
  shows the same words to the class).
- :func:`chain_tab_order`: Tab visits the window's parts in the order a person works, whatever
  order they were built in.

Accessible texts reach screen readers as plain text, never as markup: URLs and error messages
need no escaping here (tooltips do, see :mod:`app.ui.plain_text`).
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractScrollArea, QMainWindow, QWidget

from app.core.lag import DESCRIBE_INTERVAL

try:
    from PySide6.QtGui import QAccessibleAnnouncementEvent as AnnouncementEvent
except ImportError:  # Qt before 6.8 (pyproject allows 6.7): no announcements, see announce()
    AnnouncementEvent = None  # type: ignore[assignment,misc]

STATUS_MESSAGE_MS = 15000
"""How long the status bar shows an announcement where Qt cannot make one."""


class LiveDescription:
    """The accessible description of widgets that show a live value (see the module's docstring):
    the widget, and any part of it a screen reader may stop at, say the same words."""

    def __init__(self, *widgets: QWidget, interval: float = DESCRIBE_INTERVAL) -> None:
        self._widgets = widgets
        self._interval = interval
        self._set_at = self._due_at = float("-inf")
        self.text = ""
        """What a screen reader is told now."""

    def due(self, now: float) -> bool:
        """For words that cost more than a compare to build: True at most once every
        :data:`DESCRIBE_INTERVAL`, when it is time to build them and :meth:`update`."""
        if now - self._due_at < self._interval:
            return False
        self._due_at = now
        return True

    def update(self, text: str, now: float) -> None:
        """Offers the words for the value shown at ``now`` (seconds, any monotonic clock): call it
        whenever the value is drawn. They are passed on if they differ from what was said and
        :data:`DESCRIBE_INTERVAL` has passed since; otherwise a later call passes them on."""
        if text == self.text or now - self._set_at < self._interval:
            return
        self._set(text, now)

    def set_now(self, text: str) -> None:
        """Passes ``text`` on at once: a message rather than a value ("Starting…")."""
        if text != self.text:
            self._set(text, float("-inf"))  # the next value is passed on at once too

    def _set(self, text: str, now: float) -> None:
        self.text, self._set_at = text, now
        for widget in self._widgets:
            widget.setAccessibleDescription(text)


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> None:
    """Has screen readers say ``text`` once they are done with what they are saying (see the
    module's docstring), or at once with ``assertive`` (an error); ``widget`` is where it comes from."""
    if AnnouncementEvent is not None:
        event = AnnouncementEvent(widget, text)
        politeness = QAccessible.AnnouncementPoliteness
        event.setPoliteness(politeness.Assertive if assertive else politeness.Polite)
        QAccessible.updateAccessibility(event)
        return
    window = widget.window()
    # Not in presentation mode, which hides the status bar: the report already shows these words
    # to the class, and a copy over the results (app.ui.presentation) would only hide them.
    if isinstance(window, QMainWindow) and not window.statusBar().isHidden():
        window.statusBar().showMessage(text, STATUS_MESSAGE_MS)


def tab_stops(container: QWidget) -> list[QWidget]:
    """``container`` and the widgets in it that Tab can stop at, in the order Tab visits them now,
    hidden and disabled ones included (they take their turn when shown). A widget whose focus
    goes to another (a spin box's text field) is left out: that other one is the stop. A scroll
    area comes before the widgets inside it, whatever order they were made in."""
    return _stops_in(container, _focus_chain(container))


def _focus_chain(start: QWidget) -> list[QWidget]:
    """Every widget of ``start``'s window, in the order Tab visits them, from ``start``."""
    chain = [start]
    widget = start.nextInFocusChain()
    while widget is not start:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def _stops_in(container: QWidget, chain: list[QWidget]) -> list[QWidget]:
    at = chain.index(container)
    inside = {container, *container.findChildren(QWidget)}
    stops = [widget for widget in chain[at:] + chain[:at] if widget in inside and _takes_tab(widget)]
    for area in [stop for stop in stops if isinstance(stop, QAbstractScrollArea)]:
        first_inside = next((stop for stop in stops if stop is not area and area.isAncestorOf(stop)), None)
        if first_inside is not None and stops.index(first_inside) < stops.index(area):
            stops.remove(area)
            stops.insert(stops.index(first_inside), area)
    return stops


_TAB_FOCUS = Qt.FocusPolicy.TabFocus.value


def _takes_tab(widget: QWidget) -> bool:
    # The flag's int value: Python's Flag "&" makes a new member each time (4 us, x hundreds of widgets).
    return bool(widget.focusPolicy().value & _TAB_FOCUS) and widget.focusProxy() is None


def chain_tab_order(*parts: QWidget) -> None:
    """Tab goes through ``parts`` in this order, each with the stops inside it in their own order
    (:func:`tab_stops`): a control a part makes as it is built is visited with that part, wherever
    Qt's creation order had put it. (The window's focus chain is walked once, not once a part.)"""
    chain = _focus_chain(parts[0])
    stops: list[QWidget] = []
    for part in parts:
        stops += [stop for stop in _stops_in(part, chain) if stop not in stops]
    for first, second in itertools.pairwise(stops):
        QWidget.setTabOrder(first, second)
