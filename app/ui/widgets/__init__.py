"""Display-only widgets, one per module: they render what they are given and never touch the network."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def repolish(widget: QWidget) -> None:
    """Re-applies the style sheet after a dynamic property used in it has changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
