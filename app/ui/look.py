"""LoopLab's look: the style sheet, at normal size or scaled up for a projector, and high contrast.

Presentation mode multiplies every font size (by :func:`presentation_scale`) (the window's font and each ``font-size`` in the
style sheet) and switches to a black-on-white palette with strong colours, so the toggle, the
freeze meter and the numbers read from the back of a room. Outside it the palette is the
system's, so dark and light follow the OS.
"""

from __future__ import annotations

import math
import re

from PySide6.QtGui import QColor, QPalette

from app import resources

PRESENTATION_SCALE = 1.55
"""How much bigger everything is in presentation mode on a 1366 x 768 screen or larger (at least
1.5x, as the classroom issue asked)."""
PRESENTATION_SCREEN = (1366, 768)
"""The smallest screen that gets the whole :data:`PRESENTATION_SCALE`."""


def presentation_scale(width: int, height: int) -> float:
    """The font scale for presentation mode in a ``width`` x ``height`` window: the full scale
    from :data:`PRESENTATION_SCREEN` up; below it, the same share of the screen (never smaller
    than normal), in steps of 0.05 so a few pixels more or less change nothing."""
    share = min(1.0, width / PRESENTATION_SCREEN[0], height / PRESENTATION_SCREEN[1])
    return max(1.0, math.floor(PRESENTATION_SCALE * share * 20) / 20)

_PRESENTATION_EXTRA = """
#runReport { border-width: 4px; }
#blockingToggle { border-width: 4px; }
"""


def style_sheet(scale: float = 1.0, base_pt: float = 11.0) -> str:
    """The application style sheet with every ``font-size`` multiplied by ``scale``.

    It starts with the base size for every widget: once a style sheet is set, Qt no longer
    hands a parent's font down to children the style sheet does not mention, so the base size
    has to be said here (the custom-painted timeline and graphs take it up too).
    """
    text = f"QWidget {{ font-size: {base_pt:.1f}pt; }}\n" + resources.read_text("looplab.qss")
    if scale != 1.0:
        # Widths are left alone: bigger text widens what needs it, and the window must still fit.
        text = re.sub(r"font-size:\s*(\d+(?:\.\d+)?)pt", lambda m: f"font-size: {float(m.group(1)) * scale:.1f}pt", text)
        text += _PRESENTATION_EXTRA
    return text


def high_contrast(base: QPalette) -> QPalette:
    """Black on white with a strong blue selection: what a washed-out projector still shows."""
    palette = QPalette(base)
    white, black = QColor("#ffffff"), QColor("#000000")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for role, colour in (
            (QPalette.ColorRole.Window, white),
            (QPalette.ColorRole.Base, white),
            (QPalette.ColorRole.AlternateBase, QColor("#eeeeee")),
            (QPalette.ColorRole.WindowText, black),
            (QPalette.ColorRole.Text, black),
            (QPalette.ColorRole.ButtonText, black),
            (QPalette.ColorRole.Button, QColor("#e6e6e6")),
            (QPalette.ColorRole.Mid, QColor("#555555")),
            (QPalette.ColorRole.PlaceholderText, QColor("#444444")),
            (QPalette.ColorRole.Highlight, QColor("#0033cc")),
            (QPalette.ColorRole.HighlightedText, white),
        ):
            palette.setColor(group, role, colour)
    return palette
