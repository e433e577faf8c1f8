"""LoopLab's look: the style sheet at any size, the palettes, the colours, and how big text gets.

Sizes. Every font size (the window's font and each ``font-size`` in the style sheet) is
multiplied by one scale: the zoom the user chose (View > Zoom in / Zoom out / Actual size,
:data:`ZOOM_STEPS`), times :func:`presentation_scale` in presentation mode. The window must
show everything whole, so the scale never goes past what its size has room for
(:func:`font_scale`, measured by tests/ui/test_fit.py).

Colours. Outside presentation mode the palette follows the system (light, or LoopLab's
:func:`dark_palette` when the system's colour scheme is dark; see :mod:`app.ui.system_look`).
Presentation mode and the system's high-contrast setting use :func:`high_contrast` (black on
white) or :func:`high_contrast_dark` (white on black). Every colour LoopLab draws itself (the
meter, the lag graph, the timeline, the verdicts) is an :class:`Ink`: a light and a dark
variant, picked by the palette it is drawn on, so both read at least 4.5:1 (WCAG) against the
background (tests/ui/test_zoom_and_colours.py measures it). The timeline's phase colours are
``app.core.timeline``'s own, the same in both schemes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette

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


# --- colours ---------------------------------------------------------------------------------


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) is light text on a dark window."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


@dataclass(frozen=True)
class Ink:
    """A colour LoopLab draws with, in a variant for light backgrounds and one for dark."""

    light: str
    dark: str

    def on(self, palette: QPalette | None = None) -> QColor:
        """The variant that reads on ``palette`` (default: the application's)."""
        return QColor(self.dark if is_dark(palette) else self.light)


# What the window says about liveness: teal alive, amber a stutter, red frozen (app.core.lag's
# one set of thresholds). The light variants are the colours LoopLab always had.
ALIVE = Ink("#2a9d8f", "#4fd1c5")
STUTTER = Ink("#e9a03b", "#f0b04f")
FROZEN = Ink("#e63946", "#ff6b74")
FROZEN_TEXT = Ink("#a4161a", "#ff9a9f")
"""Words about a freeze written over a red band or a light box."""
FAILED = Ink("#c1121f", "#ff7b84")
CANCELLED = Ink("#6c757d", "#a3acb4")
STARTING = Ink("#6c757d", "#a3acb4")
"""The lab's own start-up on the lag graph: not a freeze of a run."""
LABEL_BOX = Ink("#d7ffffff", "#d71e1e1e")
"""The box under a freeze band's words on the timeline (ARGB: see-through)."""
LOOP_LANE = Ink("#6a4c93", "#7d5cb8")
"""The X-ray's event-loop lane: white words on it in both."""
STEP_LANE = Ink("#1d3557", "#3f6ea8")
FOCUS = Ink("#1d3557", "#9cc3ff")
"""The toggle's focus border."""
VERDICT_OK = Ink("#1d6f64", "#5fd4c6")
VERDICT_OFF = Ink("#8a4b00", "#f3b25a")
PROBLEM_TEXT, PROBLEM_FILL, PROBLEM_EDGE = Ink("#8b0a14", "#ffc2c8"), Ink("#fde8ea", "#4a1c22"), Ink("#d1495b", "#e0707f")
BANNER_TEXT, BANNER_FILL = Ink("#5c3c00", "#ffe4a8"), Ink("#fff3cd", "#3d3112")

_DARK_SHEET = f"""
/* Dark scheme: the same rules as looplab.qss, in colours that read on a dark window. */
#blockingToggle:focus {{ border-color: {FOCUS.dark}; }}
#runReport[state="frozen"] {{ border-color: {FROZEN.dark}; }}
#runReport[state="alive"] {{ border-color: {ALIVE.dark}; }}
#runReport[state="frozen"] #freezeLabel {{ color: {FROZEN.dark}; }}
#runReport[state="alive"] #freezeLabel {{ color: {ALIVE.dark}; }}
#errorBanner {{ background: {BANNER_FILL.dark}; }}
#errorMessage {{ color: {BANNER_TEXT.dark}; }}
#lessonVerdict[verdict="ok"] {{ color: {VERDICT_OK.dark}; border-color: {ALIVE.dark}; }}
#lessonVerdict[verdict="off"] {{ color: {VERDICT_OFF.dark}; border-color: {STUTTER.dark}; }}
#codeStatus[edited="true"] {{ color: {VERDICT_OFF.dark}; }}
#codeProblem {{ color: {PROBLEM_TEXT.dark}; background: {PROBLEM_FILL.dark}; border-color: {PROBLEM_EDGE.dark}; }}
"""

_PRESENTATION_EXTRA = """
#runReport { border-width: 4px; }
#blockingToggle { border-width: 4px; }
#presentationMessage { background: #000000; color: #ffffff; border: 2px solid #ffffff; border-radius: 6px; padding: 4px 12px; }
"""


def style_sheet(scale: float = 1.0, base_pt: float = 11.0, *, presentation: bool = False, dark: bool = False) -> str:
    """The application style sheet with every ``font-size`` multiplied by ``scale``, thicker
    borders in presentation mode, and the dark scheme's colours with ``dark``.

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
    if dark:
        text += _DARK_SHEET
    return text


def _set(palette: QPalette, colours: dict[QPalette.ColorRole, str], groups: tuple[QPalette.ColorGroup, ...]) -> QPalette:
    for group in groups:
        for role, colour in colours.items():
            palette.setColor(group, role, QColor(colour))
    return palette


_BOTH = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)
_ALL = (*_BOTH, QPalette.ColorGroup.Disabled)
_R = QPalette.ColorRole


def dark_palette() -> QPalette:
    """LoopLab's dark palette: light grey on near-black, every text role at least 4.5:1 on its
    background. Built here rather than taken from the style: Fusion's own dark palette has its
    placeholder text as bright as the text and its "mid" (frames, grid lines) nearly as dark as
    the background, and the offscreen and some Linux platforms give none at all."""
    palette = _set(
        QPalette(),
        {
            _R.Window: "#2b2b2b", _R.WindowText: "#ececec", _R.Base: "#1e1e1e", _R.AlternateBase: "#262626",
            _R.Text: "#ececec", _R.PlaceholderText: "#a3a3a3", _R.Button: "#3a3a3a", _R.ButtonText: "#ececec",
            _R.BrightText: "#ffffff", _R.Light: "#505050", _R.Midlight: "#404040", _R.Mid: "#707070",
            _R.Dark: "#151515", _R.Shadow: "#000000", _R.Highlight: "#2f6fb5", _R.HighlightedText: "#ffffff",
            _R.Link: "#7cb7ff", _R.LinkVisited: "#c5a3ff", _R.ToolTipBase: "#3a3a3a", _R.ToolTipText: "#ececec",
            _R.Accent: "#2f6fb5",
        },
        _ALL,
    )  # fmt: skip
    return _set(
        palette,
        {_R.WindowText: "#8a8a8a", _R.Text: "#8a8a8a", _R.ButtonText: "#8a8a8a", _R.Base: "#2b2b2b", _R.Highlight: "#505050"},
        (QPalette.ColorGroup.Disabled,),
    )


def high_contrast(base: QPalette) -> QPalette:
    """Black on white with a strong blue selection: what a washed-out projector still shows."""
    return _set(
        QPalette(base),
        {
            _R.Window: "#ffffff", _R.Base: "#ffffff", _R.AlternateBase: "#eeeeee", _R.WindowText: "#000000",
            _R.Text: "#000000", _R.ButtonText: "#000000", _R.Button: "#e6e6e6", _R.Mid: "#555555",
            _R.PlaceholderText: "#444444", _R.Highlight: "#0033cc", _R.HighlightedText: "#ffffff",
        },
        _BOTH,
    )  # fmt: skip


def high_contrast_dark() -> QPalette:
    """White on black with a yellow selection: high contrast for a dark colour scheme."""
    return _set(
        dark_palette(),
        {
            _R.Window: "#000000", _R.Base: "#000000", _R.AlternateBase: "#1a1a1a", _R.WindowText: "#ffffff",
            _R.Text: "#ffffff", _R.ButtonText: "#ffffff", _R.Button: "#1a1a1a", _R.Mid: "#bbbbbb",
            _R.PlaceholderText: "#cccccc", _R.Highlight: "#ffd500", _R.HighlightedText: "#000000",
            _R.Link: "#8fd0ff", _R.ToolTipBase: "#000000", _R.ToolTipText: "#ffffff",
        },
        _BOTH,
    )  # fmt: skip
