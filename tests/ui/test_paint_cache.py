"""The live widgets' kept pictures (app.ui.paint_cache) never show what is no longer so.

The timeline, the lag graph and the freeze meter keep what changes seldom as pixmaps between paints and add only
what moved. Each test here changes something a person can change (time passing, a resize, the
colour scheme, the font, a freeze, a new run, a zoom, a chosen row) and compares what the widget
paints from its kept pictures, pixel for pixel, with a paint from scratch that keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPalette, QRegion
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.core.lag import Freeze
from app.core.run import ErrorKind, RequestRecord, RequestState, RunOutcome, RunSummary
from app.ui import look
from app.ui.widgets.freeze_meter import FreezeMeter
from app.ui.widgets.lag_graph import WINDOW, LagGraph, height_fraction
from app.ui.widgets.timeline import TimelineWidget
from tests.runs import planned, urls


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
    assert same_picture(painted(graph), graph.picture(kept=False))
    # Past two plots' width of time the line's kept strip starts over (and the first ticks have
    # left the graph): still the same picture.
    live(graph, clock, 2.2 * WINDOW)
    assert same_picture(painted(graph), graph.picture(kept=False))


def test_the_lag_graph_shows_the_newest_tick_at_once(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 10.0)
    before = painted(graph)
    clock.now += 0.016
    graph.on_tick(clock.now, 0.040)  # a stutter: a spike at the right edge
    after = painted(graph)
    assert not same_picture(after, before)
    assert same_picture(after, graph.picture(kept=False))


def test_freezes_and_their_bands_are_painted_as_from_scratch(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    graph.set_starting_until(clock.now + 1.0)
    live(graph, clock, 20.0, late={20: 0.3, 400: 0.08, 700: 1.2, 701: 0.06})
    bands = graph.bands()
    assert [label for _start, _end, label in bands] == ["starting", "frozen 80 ms", "frozen 1.20 s", "frozen 60 ms"]
    assert same_picture(painted(graph), graph.picture(kept=False))
    graph.mark_freezing(clock.now)  # "freezing now" written over the line
    assert same_picture(painted(graph), graph.picture(kept=False))


def test_a_resized_lag_graph_is_painted_as_from_scratch(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 12.0, late={300: 0.2})
    for width, height in ((520, 240), (261, 131)):
        graph.resize(width, height)
        image = painted(graph)
        assert image.width() == width * graph.devicePixelRatio()
        assert same_picture(image, graph.picture(kept=False))
        live(graph, clock, 1.0)
        assert same_picture(painted(graph), graph.picture(kept=False))


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
    assert same_picture(image, graph.picture(kept=False))
    big = QFont(graph.font())
    big.setPointSizeF(big.pointSizeF() * 1.5)  # presentation mode
    graph.setFont(big)
    assert same_picture(painted(graph), graph.picture(kept=False))


def screen_of(widget: QWidget) -> QImage:
    """``widget`` as the screen shows it now (its window's backing store), the repaints it asked for done."""
    QApplication.processEvents()
    return QGuiApplication.primaryScreen().grabWindow(widget.winId()).toImage()


class PaintSpy(QObject):
    """Counts the paint events of a widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.rects: list[QRect] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def test_the_lag_graph_skips_frames_that_would_be_the_picture_on_screen(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    live(graph, clock, 10.0, frames=False)
    screen_of(graph)
    spy = PaintSpy(graph)
    seconds_a_column = WINDOW / (graph.width() - graph.fontMetrics().horizontalAdvance("100 ms") - 18)
    # Ticks 40 ms apart, each due for a frame (REDRAW_INTERVAL): the screen is the graph as it
    # is now after every one of them, painted or not.
    for _tick in range(50):  # 2 s all 3 ms late: the line only moves a pixel at a time
        clock.now += 0.040
        graph.on_tick(clock.now, 0.003)
        assert same_picture(screen_of(graph), graph.picture(kept=False))
    columns = 2.0 / seconds_a_column
    assert columns - 2 <= len(spy.rects) <= columns + 2  # a frame a pixel column, not one a tick
    before = len(spy.rects)
    for n in range(20):  # the newest column's worst tick gets worse at every tick: every one drawn
        clock.now += 0.040
        graph.on_tick(clock.now, 0.004 + 0.001 * n)
        assert same_picture(screen_of(graph), graph.picture(kept=False))
    assert len(spy.rects) - before == 20
    clock.now += 0.4
    graph.on_tick(clock.now, 0.384)  # a freeze: drawn at once, band and all
    assert same_picture(screen_of(graph), graph.picture(kept=False))
    assert len(graph.stalls()) == 1


def test_the_lag_graph_moves_on_screen_though_its_newest_tick_stays_the_worst(qtbot: Any) -> None:
    clock = Clock()
    graph = lag_graph(qtbot, clock, 900)  # ~36 ms a pixel column: a slice of ticks (50 ms) spans two
    live(graph, clock, 10.0, frames=False)
    screen_of(graph)
    for n in range(60):  # 45 ms apart, each a little less late: a slice's first tick stays its worst
        clock.now += 0.045
        graph.on_tick(clock.now, 0.006 - 0.00005 * n)
        assert same_picture(screen_of(graph), graph.picture(kept=False)), n


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
    assert same_picture(painted(graph), graph.picture(kept=False))


# --- TimelineWidget ---------------------------------------------------------------------------


def timeline(qtbot: Any, width: int = 700, height: int = 300) -> TimelineWidget:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def on_screen(widget: TimelineWidget) -> QImage:
    """The timeline's viewport as the screen shows it now: the repaints it asked for done, the
    rest as earlier paints left it (a partial repaint that missed a change leaves it stale)."""
    QApplication.processEvents()
    window = QGuiApplication.primaryScreen().grabWindow(widget.winId()).toImage()
    where = QRect(widget.viewport().mapTo(widget, QPoint(0, 0)), widget.viewport().size() * widget.devicePixelRatio())
    return window.copy(where)


class Player:
    """Plays a run as the controller reports it: each frame, the records that changed and every
    running one (their bars grow) go to the timeline's refresh."""

    def __init__(self, widget: TimelineWidget, count: int) -> None:
        self.run, self.clock = planned(urls(count))
        self.widget = widget
        widget.show_run(self.run)

    def frame(self, seconds: float, changes: dict[int, Callable[[RequestRecord, float], None]] | None = None) -> None:
        self.clock.now = seconds
        changed = set()
        for row, change in (changes or {}).items():
            change(self.run.records[row], seconds)
            changed.add(row)
        self.widget.refresh(sorted(changed | set(self.run.records.rows_in(RequestState.RUNNING))))


def begun(record: RequestRecord, now: float) -> None:
    record.begin(now)


def answering(record: RequestRecord, now: float) -> None:
    record.status, record.reason, record.response_at = 200, "OK", now


def done(record: RequestRecord, now: float) -> None:
    record.bytes_received = 1234
    record.finish(now)


def failed(record: RequestRecord, now: float) -> None:
    record.fail(now, ErrorKind.TIMEOUT, "Timed out")


def test_a_live_timeline_on_screen_is_the_timeline_painted_from_scratch(qtbot: Any) -> None:
    widget = timeline(qtbot)
    player = Player(widget, 40)  # every row in view, labelled
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    t = 0.0
    for step in range(60):  # 3 s: the axis grows from 1 s through 1.47 and 2.15 to 3.16 s
        t += 0.05
        changes: dict[int, Callable[[RequestRecord, float], None]] = {}
        if step < 20:
            changes[2 * step] = begun
            changes[2 * step + 1] = begun
        if 4 <= step < 24:
            changes[2 * (step - 4)] = answering
        if 8 <= step < 28:
            changes[2 * (step - 8)] = failed if step == 13 else done
            changes[2 * (step - 8) + 1] = answering
        if 12 <= step < 32:
            changes[2 * (step - 12) + 1] = done
        player.frame(t, changes)
        if step % 7 == 0 or step in (19, 20, 21, 59):  # now and then, and right after the axis grows (2.15 s)
            assert same_picture(on_screen(widget), widget.painting.picture(kept=False)), f"frame {step}"
    before = on_screen(widget)
    again = Player(widget, 40)  # Run again: as many rows, nothing drawn yet
    again.frame(0.1, {0: begun})
    image = on_screen(widget)
    assert same_picture(image, widget.painting.picture(kept=False))
    assert not same_picture(image, before)


def test_waiting_and_cancelled_rows_in_a_long_live_run(qtbot: Any) -> None:
    widget = timeline(qtbot, 600, 260)
    player = Player(widget, 400)  # short rows, no labels: rows scroll
    player.frame(0.1, {0: begun, 1: begun, 2: begun})
    player.frame(0.2, {0: answering, 1: failed})
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    widget.verticalScrollBar().setValue(widget.verticalScrollBar().maximum() // 2)  # rows still waiting: thin lines
    player.frame(0.3)
    player.frame(0.35)
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    widget.verticalScrollBar().setValue(0)
    player.clock.now = 0.5
    player.run.cancel_unfinished()  # Cancel: running and waiting rows end at once
    widget.refresh(list(range(len(player.run.records))))
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))


def test_between_steps_of_the_axis_only_rows_under_way_are_repainted(qtbot: Any) -> None:
    widget = timeline(qtbot, 600, 260)
    player = Player(widget, 400)
    for row in range(60):
        player.frame(0.01 * row, {row: begun})
    on_screen(widget)  # painted with every row in view under way
    player.frame(0.7, {row: done for row in range(40)})  # the rows in view are done; 20 still run, out of view
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    painted: list[QRect] = []

    class Spy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                painted.append(event.rect())
            return False

    spy = Spy()
    widget.viewport().installEventFilter(spy)
    player.frame(0.75, {45: done})  # the axis holds still (1 s): nothing in view changed
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    assert painted == []
    player.frame(0.8, {10: failed})  # a row in view changed (though finished): that row alone
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    assert len(painted) == 1 and painted[0].height() == widget.row_height()
    player.frame(1.2, {50: done})  # past the first second: the axis grows, all of it is repainted
    assert same_picture(on_screen(widget), widget.painting.picture(kept=False))
    assert painted[-1] == widget.viewport().rect()


def test_the_timeline_follows_a_resize_scroll_zoom_palette_font_and_a_chosen_row(qtbot: Any) -> None:
    widget = timeline(qtbot)
    summary = finished_run_with_everything()
    widget.show_summary(summary)
    pictures = [on_screen(widget)]
    assert same_picture(pictures[-1], widget.painting.picture(kept=False))

    def changed() -> None:
        image = on_screen(widget)
        assert same_picture(image, widget.painting.picture(kept=False))
        assert not same_picture(image, pictures[-1]) if image.size() == pictures[-1].size() else True
        pictures.append(image)

    widget.resize(820, 340)
    changed()
    widget.zoom_by(3.0)
    changed()
    widget.horizontalScrollBar().setValue(widget.horizontalScrollBar().maximum() // 4)
    changed()
    widget.fit()
    changed()
    dark = QPalette(widget.palette())
    for role, colour in (
        (QPalette.ColorRole.Window, "#202020"),
        (QPalette.ColorRole.Base, "#101010"),
        (QPalette.ColorRole.Text, "#f0f0f0"),
    ):
        dark.setColor(role, QColor(colour))
    widget.setPalette(dark)
    changed()
    big = QFont(widget.font())
    big.setPointSizeF(big.pointSizeF() * 1.5)
    widget.setFont(big)
    changed()
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_Down)  # a chosen row: outlined
    QTest.keyClick(widget, Qt.Key.Key_Down)
    changed()
    widget.scene.cursor = 0.3  # the Tasks tab's replay
    widget.viewport().update()
    changed()
    widget.set_overlay("Freezing now")
    changed()
    widget.show_summary(None)  # the placeholder
    changed()


def finished_run_with_everything() -> RunSummary:
    """Done, failed, cancelled and never-sent requests, under a freeze."""
    run, clock = planned([*urls(6), "not a url"])
    for row, (start, end) in enumerate([(0.0, 0.4), (0.1, 0.9), (0.2, 0.5), (0.3, 1.2), (0.35, 0.8)]):
        record = run.records[row]
        record.begin(start)
        record.dns, record.connect = 0.02, 0.05
        answering(record, start + 0.1)
        (failed if row == 3 else done)(record, end)
    run.records[5].begin(0.6)
    clock.now = 1.3
    run.cancel_unfinished()
    return run.summarize(RunOutcome.CANCELLED, 0.4, freezes=(Freeze(0.5, 0.9),))


# --- FreezeMeter ------------------------------------------------------------------------------


def meter_bar(qtbot: Any) -> tuple[FreezeMeter, QWidget]:
    meter = FreezeMeter()
    qtbot.addWidget(meter)
    meter.resize(420, 90)
    meter.show()
    qtbot.waitExposed(meter)
    bar = meter.findChild(QWidget, "latenessBar")
    assert bar is not None
    return meter, bar


def painted_bar(bar: QWidget) -> QImage:
    """The bar as its paintEvent paints it, on a see-through picture as picture() paints it."""
    image = QImage(bar.size() * bar.devicePixelRatio(), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(bar.devicePixelRatio())
    image.fill(Qt.GlobalColor.transparent)
    bar.render(image, QPoint(), QRegion(), QWidget.RenderFlag(0))  # no background: the bar's own painting
    return image


def test_the_freeze_meter_painted_from_its_kept_pictures_is_the_meter_painted_from_scratch(qtbot: Any) -> None:
    meter, bar = meter_bar(qtbot)
    pictures = []
    for now, lateness in ((1.0, 0.0), (2.0, 0.004), (3.0, 0.03), (4.0, 0.3), (9.0, 2.5)):
        meter.on_tick(now, lateness)
        image = painted_bar(bar)
        assert same_picture(image, bar.picture(kept=False)), lateness
        assert not pictures or not same_picture(image, pictures[-1]), lateness
        pictures.append(image)
    meter.resize(600, 90)
    assert same_picture(painted_bar(bar), bar.picture(kept=False))
    dark = QPalette(bar.palette())
    dark.setColor(QPalette.ColorRole.AlternateBase, QColor("#303030"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#f0f0f0"))
    bar.setPalette(dark)
    assert same_picture(painted_bar(bar), bar.picture(kept=False))
    before = painted_bar(bar)
    bold = QFont(meter.font())
    bold.setBold(True)  # the captions' words change, not the bar's size
    meter.setFont(bold)
    assert bar.size() == before.deviceIndependentSize().toSize()
    assert same_picture(painted_bar(bar), bar.picture(kept=False))
    assert not same_picture(painted_bar(bar), before)
    big = QFont(meter.font())
    big.setPointSizeF(big.pointSizeF() * 1.5)
    meter.setFont(big)
    assert same_picture(painted_bar(bar), bar.picture(kept=False))


def test_the_freeze_meter_repaints_only_when_the_bar_looks_different(qtbot: Any) -> None:
    meter, bar = meter_bar(qtbot)
    meter.on_tick(1.0, 0.0)
    QApplication.processEvents()
    painted: list[QRect] = []

    class Spy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                painted.append(event.rect())
            return False

    spy = Spy()
    bar.installEventFilter(spy)
    for tick in range(1, 20):
        meter.on_tick(1.0 + tick * 0.033, 0.0005)  # an idle window: under a millisecond late, the same empty bar
        QApplication.processEvents()
    assert painted == []
    meter.on_tick(2.0, 0.004)
    QApplication.processEvents()
    assert len(painted) == 1
    assert meter.value == pytest.approx(0.004)


# --- any screen's pixel ratio -----------------------------------------------------------------


@pytest.mark.parametrize("dpr", [1.25, 1.5, 1.75, 2.0])  # Windows' 125-175 % scaling, and a HiDPI screen
def test_the_kept_pictures_are_exact_at_any_pixel_ratio(qtbot: Any, dpr: float) -> None:
    """What each widget paints from its kept pictures, at the pixel ratio of the device painted
    on (a widget on a 125 % screen paints 1.25 device pixels a pixel), is what it paints from
    scratch there: no picture is resampled, none is a pixel short at the right or bottom edge."""
    clock = Clock()
    graph = lag_graph(qtbot, clock)
    for _step in range(8):
        live(graph, clock, 1.5, late={20: 0.3, 60: 0.08}, frames=False)  # bands whose words reach into the next
        graph.picture(kept=True, dpr=dpr)  # a frame
        assert same_picture(graph.picture(kept=True, dpr=dpr), graph.picture(kept=False, dpr=dpr))

    widget = timeline(qtbot)
    frame = widget.size() - widget.viewport().size()
    widget.resize(QSize(698, 298) + frame)  # a viewport of 872.5 x 372.5 device pixels at 125 %
    assert widget.viewport().size() == QSize(698, 298)
    player = Player(widget, 40)
    for step in range(40):
        changes: dict[int, Callable[[RequestRecord, float], None]] = {}
        if step < 20:
            changes[2 * step] = begun
            changes[2 * step + 1] = begun
        if 8 <= step < 28:
            changes[2 * (step - 8)] = failed if step == 12 else done
            changes[2 * (step - 8) + 1] = answering
        player.frame(0.05 * (step + 1), changes)
        picture = widget.painting.picture(kept=True, dpr=dpr)
        if step % 4 == 3:
            assert same_picture(picture, widget.painting.picture(kept=False, dpr=dpr)), step

    meter, bar = meter_bar(qtbot)
    meter.on_tick(1.0, 0.03)
    assert same_picture(bar.picture(kept=True, dpr=dpr), bar.picture(kept=False, dpr=dpr))
