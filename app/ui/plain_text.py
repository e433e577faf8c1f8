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

from PySide6.QtCore import Qt
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
