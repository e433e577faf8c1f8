"""Text from outside is shown as written, never as markup: the one place that makes sure of it.

URLs, headers, reason phrases, error messages, file names and user code come from servers and
people. Qt guesses "rich text" for any string that looks like HTML (``Qt.mightBeRichText``) in
labels, tooltips, item-view tooltips and message boxes, so ``http://host/x?<b>X</b>`` would be
drawn bold and an ``<img src=...>`` would become a picture. Every such surface goes through here:

- :func:`label` and :func:`make_plain` give labels that never interpret their text;
- :func:`tooltip` escapes text for surfaces that cannot be told the format (a widget's tooltip,
  an item model's ``ToolTipRole``): it is wrapped in a paragraph so Qt reads the escaped text
  back into exactly the original characters, line breaks and runs of spaces included;
- :func:`message_box` and :func:`ask` are message boxes whose texts are plain.

Surfaces that draw text themselves (``QPainter.drawText``, item views' display text, the status
bar's messages, plain-text editors) never interpret it and need nothing from here; escaping for
them would show ``&lt;`` to the student.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

_PLAIN = Qt.TextFormat.PlainText


def tooltip(text: str) -> str:
    """``text`` made safe for a tooltip: always read as rich text, always shown literally."""
    if not text:
        return ""  # an empty tooltip means "no tooltip" to Qt: keep it that way
    # pre-wrap keeps line breaks and runs of spaces as written, and still wraps long lines.
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


def make_plain(widget: QLabel) -> QLabel:
    """Makes ``widget`` show its text literally, now and whatever it is given later."""
    widget.setTextFormat(_PLAIN)
    return widget


def label(text: str = "", parent: QWidget | None = None, *, name: str = "") -> QLabel:
    """A label that shows ``text`` (and anything set on it later) as written."""
    widget = make_plain(QLabel(parent))
    widget.setText(text)
    if name:
        widget.setObjectName(name)
    return widget


class WrappedLabel(QLabel):
    """A plain-text label that wraps its words and never lets a layout squeeze it below the height
    they need at its width (splitters and box layouts only ask a label for one line's height)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        make_plain(self)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text == self.text():  # progress repeats itself 20 times a second: nothing to lay out
            return
        super().setText(text)
        self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # A word longer than the line (a URL in an error) must not set the window's width.
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 20 * self.fontMetrics().averageCharWidth()), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def needed_height(self, width: int) -> int:
        """The height the text needs at ``width`` (QLabel.heightForWidth cannot say: it never
        answers less than the minimum height this label sets itself)."""
        return needed_height(self, width)

    def _fit(self) -> None:
        needed = self.needed_height(self.width()) if self.text() else 0
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)


def needed_height(label: QLabel, width: int) -> int:
    """The height ``label``'s word-wrapped text needs when the label is ``width`` pixels wide."""
    margins = label.contentsMargins()
    extra = 2 * label.margin()
    inner = max(1, width - margins.left() - margins.right() - extra)
    flags = Qt.TextFlag.TextWordWrap | label.alignment()
    text = label.fontMetrics().boundingRect(QRect(0, 0, inner, 1 << 20), flags, label.text())
    return text.height() + margins.top() + margins.bottom() + extra


def wrapped_label(text: str = "", parent: QWidget | None = None, *, name: str = "") -> WrappedLabel:
    """A :class:`WrappedLabel` showing ``text`` as written."""
    widget = WrappedLabel(parent)
    widget.setText(text)
    if name:
        widget.setObjectName(name)
    return widget


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    informative: str = "",
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    """A message box whose text and informative text are shown as written (not yet shown)."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(_PLAIN)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)  # Qt gives it the format set above
    return box


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """Asks a yes/no question (modal) whose text is shown as written; True for Yes."""
    box = message_box(
        parent,
        QMessageBox.Icon.Question,
        title,
        text,
        buttons=QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes
