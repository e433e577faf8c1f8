"""The system's colour scheme and contrast setting, followed live, and colours that read in both schemes.

The system's colour scheme is changed the way a system setting changes it
(:func:`app.ui.system_look.request_color_scheme`: Qt's ``QStyleHints.setColorScheme``, and on
the offscreen platform, which ignores requests, the ``colorSchemeChanged`` signal its theme
would send); the last test does it for real, with X11 and GNOME's theme under Xvfb, where Qt
itself follows the request. Readability is measured on the pixels painted: each colour a widget
draws text or lines with, against the colour most around it, by WCAG's contrast ratio.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Comment, Keyword, Name, Number, String
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.core.lag import Freeze
from app.core.run import FetchMode
from app.ui import look
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from app.ui.system_look import request_color_scheme, system_look
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.highlighter import COLOURS
from app.ui.widgets.lag_graph import LagGraph
from app.ui.widgets.timeline import TimelineWidget
from tests.ui.test_visuals import finished_run, staircase

ROLES = QPalette.ColorRole


# --- measuring contrast ---------------------------------------------------------------------


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio, 1 to 21 (4.5 and up: normal text reads)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def background_of(image: QImage, ink: QColor) -> tuple[QColor, int]:
    """The colour most around the pixels painted exactly ``ink`` (what they are read against),
    and how many such pixels there are."""
    xs, ys = [], []
    for y in range(image.height()):
        for x in range(image.width()):
            if image.pixel(x, y) == ink.rgb():
                xs.append(x)
                ys.append(y)
    if not xs:
        return QColor(), 0
    box = QRect(min(xs) - 3, min(ys) - 3, max(xs) - min(xs) + 7, max(ys) - min(ys) + 7).intersected(image.rect())
    around = Counter(
        image.pixel(x, y) for y in range(box.top(), box.bottom() + 1) for x in range(box.left(), box.right() + 1) if image.pixel(x, y) != ink.rgb()
    )
    return QColor.fromRgb(around.most_common(1)[0][0]), len(xs)


def readable(image: QImage, inks: dict[str, QColor], *, at_least: float = 4.5) -> list[str]:
    """What is drawn in too little contrast, or not drawn at all, one line each."""
    problems = []
    for what, ink in inks.items():
        background, count = background_of(image, ink)
        if count < 3:
            problems.append(f"{what}: no pixel painted {ink.name()}")
        elif (ratio := contrast(ink, background)) < at_least:
            problems.append(f"{what}: {ink.name()} on {background.name()} is {ratio:.2f}:1")
    return problems


@pytest.fixture
def scheme() -> Iterator[Any]:
    """Sets the system's colour scheme; back to the system's own afterwards."""
    yield request_color_scheme
    request_color_scheme(Qt.ColorScheme.Unknown)
    assert not system_look().dark and not look.is_dark()


def request_contrast(preference: Qt.ContrastPreference) -> None:
    """The system's contrast setting changing, as its theme announces it (Qt cannot be asked)."""
    QGuiApplication.styleHints().accessibility().contrastPreferenceChanged.emit(preference)


def is_dark_palette(palette: QPalette) -> bool:
    return (
        palette.color(ROLES.Window).lightnessF() < 0.25
        and palette.color(ROLES.Base).lightnessF() < 0.25
        and palette.color(ROLES.WindowText).lightnessF() > 0.8
        and palette.color(ROLES.Text).lightnessF() > 0.8
    )


def test_a_dark_system_turns_the_lab_dark_and_back_while_it_is_open(lab: MainWindow, qtbot: Any, scheme: Any) -> None:
    lab.source.open_lesson("gather")
    light = QPalette(lab.palette())
    code = lab.source.lesson_panel.code_view
    assert not look.is_dark(light) and not code.highlighter.dark

    scheme(Qt.ColorScheme.Dark)
    assert system_look().dark
    menu = lab.menuBar().actions()[0].menu()
    lab.show_shortcuts()
    dialog = lab.findChild(QDialog, "shortcutsDialog")
    for name, widget in {
        "window": lab, "lag graph": lab.liveness.lag_graph, "meter": lab.liveness.freeze_meter,
        "timeline": lab.results.timeline.viewport(), "code editor": code, "menu": menu, "dialog": dialog,
    }.items():  # fmt: skip
        assert is_dark_palette(widget.palette()), name
    assert is_dark_palette(QApplication.palette())  # tooltips and message boxes too
    assert code.highlighter.dark
    assert look.FROZEN.dark in lab.styleSheet()  # the report's and the verdicts' colours
    dialog.reject()

    later = create_window(lab.server)  # a window opened while the system is dark
    qtbot.addWidget(later)
    try:
        assert is_dark_palette(later.palette())
    finally:
        later.close()

    scheme(Qt.ColorScheme.Light)
    for role in (ROLES.Window, ROLES.Base, ROLES.Text, ROLES.Highlight, ROLES.Mid):
        assert lab.palette().color(role) == light.color(role), role
    assert not code.highlighter.dark
    assert look.FROZEN.dark not in lab.styleSheet()


def test_presentation_mode_and_zoom_keep_the_dark_scheme(lab: MainWindow, scheme: Any) -> None:
    scheme(Qt.ColorScheme.Dark)
    lab.presentation.set_zoom(1.2)
    assert is_dark_palette(lab.palette())
    lab.set_presentation(True, full_screen=False)
    # High contrast for the dark scheme: white on black.
    assert lab.palette().color(ROLES.Window) == QColor("#000000") and lab.palette().color(ROLES.Text) == QColor("#ffffff")
    lab.set_presentation(False)
    assert is_dark_palette(lab.palette()) and lab.palette().color(ROLES.Window) != QColor("#000000")


@pytest.mark.skipif(not hasattr(QGuiApplication.styleHints(), "accessibility"), reason="Qt < 6.10 has no contrast preference")
def test_a_high_contrast_system_gets_high_contrast_in_light_and_dark(lab: MainWindow, scheme: Any) -> None:
    request_contrast(Qt.ContrastPreference.HighContrast)
    try:
        assert system_look().high_contrast
        assert lab.palette().color(ROLES.Window) == QColor("#ffffff") and lab.palette().color(ROLES.Text) == QColor("#000000")
        scheme(Qt.ColorScheme.Dark)
        assert lab.palette().color(ROLES.Window) == QColor("#000000") and lab.palette().color(ROLES.Text) == QColor("#ffffff")
        assert QApplication.palette().color(ROLES.Base) == QColor("#000000")
    finally:
        request_contrast(Qt.ContrastPreference.NoPreference)
    assert not system_look().high_contrast and is_dark_palette(lab.palette())


def shown(qtbot: Any, widget: QWidget, width: int, height: int) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lag_graph_image(qtbot: Any) -> tuple[QImage, QPalette]:
    """A lag graph with 10 s of a live window and a 300 ms freeze."""
    clock = Clock()
    graph = shown(qtbot, LagGraph(clock=clock), 480, 200)
    for step in range(600):
        clock.now = 100.0 + step / 60
        graph.on_tick(clock.now, 0.3 if step == 400 else 0.004 + 0.003 * (step % 7 == 0))
    graph.repaint()
    return graph.grab().toImage(), graph.palette()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_lag_graph_reads_well(qtbot: Any, scheme: Any, dark: bool) -> None:
    scheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    image, palette = lag_graph_image(qtbot)
    assert look.is_dark(palette) == dark
    text = {"the scale's words": palette.text().color(), "the band's words": look.FROZEN.on(palette) if dark else look.FROZEN.on(palette).darker(130)}
    lines = {"the line": look.ALIVE.on(palette), "the freeze line": look.FROZEN.on(palette)}
    assert readable(image, text) == []
    # Lines: 4.5:1 in the dark scheme; in the light one the graphics' 3:1, as LoopLab always had.
    assert readable(image, lines, at_least=4.5 if dark else 3.0) == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_freeze_meter_reads_well(qtbot: Any, scheme: Any, dark: bool) -> None:
    scheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    meter = shown(qtbot, FreezeMeter(), 480, 90)
    meter.on_tick(1.0, 0.3)  # frozen: a red bar
    meter.repaint()
    palette = meter.palette()
    image = meter.grab().toImage()
    assert readable(image, {"the captions and the words": palette.text().color()}) == []
    # The bar against its empty track: a graphic, 3:1.
    assert readable(image, {"the bar": look.FROZEN.on(palette)}, at_least=3.0) == []


def test_the_timeline_reads_well_in_the_dark(qtbot: Any, scheme: Any) -> None:
    scheme(Qt.ColorScheme.Dark)
    timeline = shown(qtbot, TimelineWidget(), 800, 300)
    timeline.show_summary(finished_run(staircase(6, 0.2), FetchMode.BLOCKING, freezes=[Freeze(0.0, 1.2)], longest_freeze=1.2, failed=[4]))
    timeline.viewport().repaint()
    palette = timeline.palette()
    image = timeline.viewport().grab().toImage()
    assert look.is_dark(palette)
    assert readable(
        image,
        {
            "the axis and the rows' words": palette.text().color(),
            "the freeze band's words": look.FROZEN_TEXT.on(palette),
            "the failed request's outline": look.FAILED.on(palette),
        },
    ) == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_codes_colours_read_well(lab: MainWindow, qtbot: Any, scheme: Any, dark: bool) -> None:
    scheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    lab.source.open_lesson("gather")
    code = lab.source.lesson_panel.code_view
    background = code.palette().base().color()
    shade = code.palette().base().color()  # the current line's grey hint, over the background
    grey = QColor(128, 128, 128)
    shade.setRgbF(*(b * (1 - 28 / 255) + g * 28 / 255 for b, g in zip(background.getRgbF()[:3], grey.getRgbF()[:3])))
    for name, (ink, _bold, _italic) in COLOURS.items():
        colour = QColor(ink.dark if dark else ink.light)
        assert contrast(colour, background) >= 4.5, name
        assert contrast(colour, shade) >= 4.5, f"{name} on the current line"
    highlighter = code.highlighter
    keyword = highlighter.format_for(Keyword, "def").foreground().color()
    assert keyword == QColor(COLOURS["keyword"][0].dark if dark else COLOURS["keyword"][0].light)
    assert highlighter.format_for(Comment, "# x") is not None and highlighter.format_for(Number, "1") is not None
    assert highlighter.format_for(String, "'x'") is not None and highlighter.format_for(Name, "x") is None
    code.viewport().repaint()
    assert readable(code.viewport().grab().toImage(), {"keywords": keyword}) == []


# --- for real: Qt following a request on a platform that can -----------------------------------

REAL_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication
    from app.ui import fast_loop, look
    from app.ui.lab import create_window

    app = QApplication(sys.argv[:1])

    async def main():
        window = create_window()
        window.show()
        hints = QGuiApplication.styleHints()
        seen = {"before": [hints.colorScheme().name, look.is_dark(window.palette())]}
        hints.setColorScheme(Qt.ColorScheme.Dark)  # as the system's setting changing would
        for _ in range(100):
            await asyncio.sleep(0.01)
            if look.is_dark(window.palette()):
                break
        code = window.source.lesson_panel.code_view
        seen["dark"] = [hints.colorScheme().name, look.is_dark(window.palette()), code.highlighter.dark]
        hints.setColorScheme(Qt.ColorScheme.Light)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if not look.is_dark(window.palette()):
                break
        seen["light"] = [hints.colorScheme().name, look.is_dark(window.palette()), code.highlighter.dark]
        print(json.dumps(seen))
        window.close()
        await window.wait_closed()

    fast_loop.run(main())
    """
)


@pytest.mark.skipif(not shutil.which("xvfb-run") or not sys.platform.startswith("linux"), reason="needs Xvfb (xvfb-run)")
def test_the_lab_follows_qt_when_the_platform_changes_its_scheme(tmp_path: Path) -> None:
    # X11 with GNOME's theme follows QStyleHints.setColorScheme (Qt 6.8+) as a system setting
    # would: the platform, not LoopLab, sends colorSchemeChanged.
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"QT_QPA_PLATFORM": "xcb", "QT_QPA_PLATFORMTHEME": "gnome", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", sys.executable, "-c", REAL_SCRIPT],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    seen = json.loads(lines[-1])
    if seen["dark"][0] != "Dark":
        pytest.skip(f"this Qt's X11 theme does not follow requests: {seen}")
    assert seen["before"][1] is False
    assert seen["dark"] == ["Dark", True, True]
    assert seen["light"] == ["Light", False, False]
