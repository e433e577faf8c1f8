"""The live widgets' kept pictures (app.ui.paint_cache) never show what is no longer so.

The timeline and the lag graph keep what changes seldom as pixmaps between paints and add only
what moved. Each test here changes something a person can change (time passing, a resize, the
colour scheme, the font, a freeze, a new run, a zoom, a chosen row) and compares what the widget
paints from its kept pictures, pixel for pixel, with a paint from scratch that keeps nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QFont, QImage, QPalette

from app.ui import look
from app.ui.widgets.lag_graph import WINDOW, LagGraph, height_fraction


def same_picture(painted: QImage, fresh: QImage) -> bool:
    """True if the two pictures are the same pixels; on a difference, says how many differ."""
    painted = painted.convertToFormat(QImage.Format.Format_RGB32)
    fresh = fresh.convertToFormat(QImage.Format.Format_RGB32)
    assert painted.size() == fresh.size()
    if painted == fresh:
        return True
    differ = sum(painted.pixel(x, y) != fresh.pixel(x, y) for y in range(painted.height()) for x in range(painted.width()))
    print(f"{differ} of {painted.width() * painted.height()} pixels differ")
    return False


# --- LagGraph ---------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lag_graph(qtbot: Any, clock: Clock, width: int = 300, height: int = 160) -> LagGraph:
    graph = LagGraph(clock=clock)
    qtbot.addWidget(graph)
    graph.resize(width, height)
    graph.show()
    qtbot.waitExposed(graph)
    return graph


def live(graph: LagGraph, clock: Clock, seconds: float, *, late: dict[int, float] | None = None, frames: bool = True) -> None:
    """``seconds`` of heartbeat, a tick every 16 ms with a little jitter (``late``: tick number ->
    lateness), and a frame painted every other tick, as the window paints them."""
    late = late or {}
    for n in range(round(seconds / 0.016)):
        lateness = late.get(n, 0.002 + 0.004 * ((n * 7919) % 11) / 11)
        clock.now += 0.016 + lateness
        graph.on_tick(clock.now, lateness)
        if frames and n % 2:
            graph.repaint()


def painted(graph: LagGraph) -> QImage:
    return graph.grab().toImage()


def test_the_lag_graph_painted_frame_by_frame_is_the_graph_painted_from_scratch(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 5.0)
    assert same_picture(painted(graph), graph.render_uncached())
    # Past two plots' width of time the line's kept strip starts over (and the first ticks have
    # left the graph): still the same picture.
    live(graph, clock, 2.2 * WINDOW)
    assert same_picture(painted(graph), graph.render_uncached())


def test_the_lag_graph_shows_the_newest_tick_at_once(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 10.0)
    before = painted(graph)
    clock.now += 0.016
    graph.on_tick(clock.now, 0.040)  # a stutter: a spike at the right edge
    after = painted(graph)
    assert not same_picture(after, before)
    assert same_picture(after, graph.render_uncached())


def test_freezes_and_their_bands_are_painted_as_from_scratch(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    graph.set_starting_until(clock.now + 1.0)
    live(graph, clock, 20.0, late={20: 0.3, 400: 0.08, 700: 1.2, 701: 0.06})
    bands = graph.bands()
    assert [label for _start, _end, label in bands] == ["starting", "frozen 80 ms", "frozen 1.20 s", "frozen 60 ms"]
    assert same_picture(painted(graph), graph.render_uncached())
    graph.mark_freezing(clock.now)  # "freezing now" written over the line
    assert same_picture(painted(graph), graph.render_uncached())


def test_a_resized_lag_graph_is_painted_as_from_scratch(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 12.0, late={300: 0.2})
    for width, height in ((520, 240), (261, 131)):
        graph.resize(width, height)
        image = painted(graph)
        assert image.width() == width * graph.devicePixelRatio()
        assert same_picture(image, graph.render_uncached())
        live(graph, clock, 1.0)
        assert same_picture(painted(graph), graph.render_uncached())


def test_the_lag_graph_follows_a_new_palette_and_font(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 12.0, late={300: 0.2})
    light = painted(graph)
    dark = QPalette(graph.palette())
    for role, colour in (
        (QPalette.ColorRole.Window, "#202020"),
        (QPalette.ColorRole.Base, "#101010"),
        (QPalette.ColorRole.Text, "#f0f0f0"),
    ):
        dark.setColor(role, QColor(colour))
    graph.setPalette(dark)
    assert look.is_dark(graph.palette())
    image = painted(graph)
    assert not same_picture(image, light)
    assert same_picture(image, graph.render_uncached())
    big = QFont(graph.font())
    big.setPointSizeF(big.pointSizeF() * 1.5)  # presentation mode
    graph.setFont(big)
    assert same_picture(painted(graph), graph.render_uncached())


def top_of_line(graph: LagGraph) -> int:
    """The highest row of the picture the line reaches (its 2 px pen and square caps: up to 2 px past its point)."""
    image, ink = painted(graph), look.ALIVE.on(graph.palette()).rgb()
    return min(y for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) == ink)


@pytest.mark.parametrize("width", [260, 900])  # 150 ms a pixel column (3 slices of ticks), and 35 ms (less than one)
def test_a_single_late_tick_reaches_its_height_settled_or_newest(qtbot: Any, width: int) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock, width)
    plot_height = graph.height() - 12 - graph.fontMetrics().height()
    spike_top = 6 + plot_height - height_fraction(0.030) * plot_height
    live(graph, clock, 10.0)
    calm = top_of_line(graph)
    assert calm > spike_top + 10
    clock.now += 0.016
    graph.on_tick(clock.now, 0.030)  # a stutter, under the freeze line: no band, no dot
    assert top_of_line(graph) == pytest.approx(spike_top, abs=2)  # the newest column
    live(graph, clock, 3.0)
    assert top_of_line(graph) == pytest.approx(spike_top, abs=2)  # settled, drawn into the kept strip
    assert same_picture(painted(graph), graph.render_uncached())
