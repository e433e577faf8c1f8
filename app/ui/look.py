"""LoopLab's look: the style sheet at any size, high contrast, and how big text gets.

Every font size (the window's font and each ``font-size`` in the style sheet) is multiplied by
one scale: the zoom the user chose (View > Zoom in / Zoom out / Actual size,
:data:`ZOOM_STEPS`), times :func:`presentation_scale` in presentation mode, which also switches
to a black-on-white palette with strong colours, so the toggle, the freeze meter and the numbers
read from the back of a room. The window must show everything whole, so the scale never goes
past what its size has room for (:func:`font_scale`, measured by tests/ui/test_fit.py). Outside
presentation mode the palette is the system's, so dark and light follow the OS.
"""

from __future__ import annotations

import math
import re

from PySide6.QtGui import QColor, QPalette

from app import resources

# --- sizes -----------------------------------------------------------------------------------

PRESENTATION_SCALE = 1.55
"""How much bigger everything is in presentation mode on a 1366 x 768 screen or larger (at least
1.5x, as the classroom issue asked)."""
PRESENTATION_SCREEN = (1366, 768)
"""The smallest screen that gets the whole :data:`PRESENTATION_SCALE`."""

ZOOM_STEPS = tuple(round(0.7 + 0.1 * n, 1) for n in range(14))
"""The zoom levels Ctrl+Plus and Ctrl+Minus step through: 70 % to 200 %, by 10 %."""
ZOOM_ROOM = ((1014, 650), (1356, 698), 1.2)
"""Where the normal window has room to zoom in: at 100 % it fits down to 1014 x 650 (a
1024 x 768 projector or a 1280 x 720 screen, less a frame, a title bar and a task bar), at
120 % it needs 1356 x 698 (a 1366 x 768 laptop); in between and beyond, in proportion."""


def presentation_scale(width: int, height: int) -> float:
    """The font scale for presentation mode in a ``width`` x ``height`` window: the full scale
    from :data:`PRESENTATION_SCREEN` up; below it, the same share of the screen (never smaller
    than normal), in steps of 0.05 so a few pixels more or less change nothing."""
    share = min(1.0, width / PRESENTATION_SCREEN[0], height / PRESENTATION_SCREEN[1])
    return max(1.0, math.floor(PRESENTATION_SCALE * share * 20) / 20)


def room_scale(width: int, height: int, *, presentation: bool = False) -> float:
    """The largest font scale at which a ``width`` x ``height`` window shows everything, in steps of 0.05."""
    if presentation:
        room = PRESENTATION_SCALE * min(width / PRESENTATION_SCREEN[0], height / PRESENTATION_SCREEN[1])
    else:
        (w100, h100), (w_max, h_max), most = ZOOM_ROOM
        per_pixel = min((most - 1) / (w_max - w100) * (width - w100), (most - 1) / (h_max - h100) * (height - h100))
        room = 1 + per_pixel
    return math.floor(room * 20 + 1e-6) / 20


def room_needed(zoom: float) -> tuple[int, int]:
    """The size a normal window needs to show ``zoom`` in full (the inverse of :func:`room_scale`)."""
    (w100, h100), (w_max, h_max), most = ZOOM_ROOM
    extra = max(0.0, zoom - 1.0) / (most - 1.0)
    return math.ceil(w100 + extra * (w_max - w100) - 1e-6), math.ceil(h100 + extra * (h_max - h100) - 1e-6)


def font_scale(width: int, height: int, *, zoom: float = 1.0, presentation: bool = False) -> float:
    """How much bigger than normal the fonts are in a ``width`` x ``height`` window: presentation
    mode's scale (or 1) times ``zoom``. Zooming out is always done; zooming in only as far as the
    window has room for (a bigger window shows more of it)."""
    base = presentation_scale(width, height) if presentation else 1.0
    wanted = round(base * zoom, 3)
    if zoom <= 1.0:
        return wanted
    return max(base, min(wanted, room_scale(width, height, presentation=presentation)))


def max_zoom(width: int, height: int, *, presentation: bool = False) -> float:
    """The largest of :data:`ZOOM_STEPS` a ``width`` x ``height`` window shows in full (at least 100 %)."""
    base = presentation_scale(width, height) if presentation else 1.0
    room = room_scale(width, height, presentation=presentation)
    return max(z for z in ZOOM_STEPS if z <= 1.0 or base * z <= room + 1e-6)


def zoom_step(zoom: float, direction: int, *, most: float = ZOOM_STEPS[-1]) -> float:
    """The zoom level after ``zoom`` going in (``direction`` +1) or out (-1), never past ``most``;
    ``zoom`` itself where there is none."""
    if direction > 0:
        bigger = [z for z in ZOOM_STEPS if zoom + 1e-6 < z <= most + 1e-6]
        return bigger[0] if bigger else zoom
    smaller = [z for z in ZOOM_STEPS if z < zoom - 1e-6]
    return smaller[-1] if smaller else zoom


_PRESENTATION_EXTRA = """
#runReport { border-width: 4px; }
#blockingToggle { border-width: 4px; }
"""


def style_sheet(scale: float = 1.0, base_pt: float = 11.0, *, presentation: bool = False) -> str:
    """The application style sheet with every ``font-size`` multiplied by ``scale``, and thicker
    borders in presentation mode.

    It starts with the base size for every widget: once a style sheet is set, Qt no longer
    hands a parent's font down to children the style sheet does not mention, so the base size
    has to be said here (the custom-painted timeline and graphs take it up too).
    """
    text = f"QWidget {{ font-size: {base_pt:.1f}pt; }}\n" + resources.read_text("looplab.qss")
    if scale != 1.0:
        # Widths are left alone: bigger text widens what needs it, and the window must still fit.
        text = re.sub(r"font-size:\s*(\d+(?:\.\d+)?)pt", lambda m: f"font-size: {float(m.group(1)) * scale:.1f}pt", text)
    if presentation:
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
