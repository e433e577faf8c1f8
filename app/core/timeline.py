"""A request's life cut into the phases a browser's network panel shows, and the time axis they share.

Every request of a run is drawn as one bar on the run's clock (0 = Run pressed). The bar is cut
into :class:`Phase` segments that tile it exactly, so the pieces always add up to the request's
own time:

- *queued*: from pressing Run until the request got its turn (a free slot, or in blocking mode
  the end of the request before it);
- *DNS* and *connect*: only where the library reports them (aiohttp's request tracing);
- *waiting*: from then until the status line and headers arrived (in blocking mode, everything
  from the request's start until the headers: requests cannot tell us more);
- *downloading*: reading the body.

Each phase also has its look (:attr:`Phase.colour` and :attr:`Phase.pattern`), defined here once
for the timeline, its legend and the PNG export: the colours stay apart for every common colour
vision (tests/core/test_phase_palette.py measures it), and the patterns tell the phases apart
with no colour at all.

Qt-free: the widget in ``app.ui.widgets.timeline`` only paints what this module computes.
"""

from __future__ import annotations

import enum
import math
from typing import NamedTuple

from app.core.run import RecordTable, RequestRecord, RequestState, RunSummary, format_duration, format_size
from app.i18n import N_, _, ngettext


class Phase(enum.Enum):
    """One part of a request's life, in the order it happens."""

    QUEUED = "queued"
    """Waiting for its turn: no network activity yet."""
    DNS = "dns"
    """Looking up the host name."""
    CONNECT = "connect"
    """Opening the TCP connection, and the TLS handshake for https."""
    WAITING = "waiting"
    """Request sent, waiting for the first byte of the answer."""
    DOWNLOADING = "downloading"
    """Reading the answer's body."""

    @property
    def label(self) -> str:
        return _(_PHASE_LABELS[self])

    @property
    def colour(self) -> str:
        """Its colour as ``#rrggbb`` (see :data:`_PHASE_LOOKS` for why these)."""
        return _PHASE_LOOKS[self][0]

    @property
    def colour_name(self) -> str:
        """Its colour in a word, for those who cannot see it ("purple"), in the current language."""
        return _(_PHASE_LOOKS[self][1])

    @property
    def pattern(self) -> Pattern:
        """How it is drawn, so that it is told apart without its colour."""
        return _PHASE_LOOKS[self][2]


class Pattern(enum.Enum):
    """What is drawn over a phase's colour: the phases differ in it as well as in colour."""

    LINE = N_("a thin line")
    """Not a bar at all: waiting in the queue, as a browser's network panel draws it."""
    DOTS = N_("dotted")
    STRIPES_ACROSS = N_("striped across")
    """Vertical stripes, across the bar."""
    PLAIN = N_("plain")
    STRIPES_ALONG = N_("striped along")
    """Horizontal stripes, along the bar."""

    @property
    def label(self) -> str:
        """The pattern in words, in the current language."""
        return _(self.value)


_PHASE_LABELS = {
    Phase.QUEUED: N_("Queued"),
    Phase.DNS: "DNS",
    Phase.CONNECT: N_("Connect (TCP + TLS)"),
    Phase.WAITING: N_("Waiting for first byte"),
    Phase.DOWNLOADING: N_("Downloading"),
}

_PHASE_LOOKS: dict[Phase, tuple[str, str, Pattern]] = {
    Phase.QUEUED: ("#999999", N_("grey"), Pattern.LINE),  # Okabe-Ito grey
    Phase.DNS: ("#aa4499", N_("purple"), Pattern.DOTS),  # Paul Tol's muted purple
    Phase.CONNECT: ("#e69f00", N_("orange"), Pattern.STRIPES_ACROSS),  # Okabe-Ito orange
    Phase.WAITING: ("#117733", N_("green"), Pattern.PLAIN),  # Paul Tol's muted green
    Phase.DOWNLOADING: ("#66ccee", N_("light blue"), Pattern.STRIPES_ALONG),  # Paul Tol's bright cyan
}
"""(colour, its name, pattern) of each phase. Colours from the Okabe-Ito and Paul Tol palettes,
made for colour-blind readers, chosen as the set that keeps the phases furthest apart under
protanopia, deuteranopia and tritanopia (at least 22 in CAM02-UCS between any two, see
tests/core/test_phase_palette.py; the colours before had DNS and Downloading 4 apart for
protanopia). The bar phases alternate dark and light (purple, orange, green, light blue), so
neighbours differ in lightness too, which survives any colour vision, a grey-scale print and
a washed-out projector."""


class Segment(NamedTuple):
    """One phase of one request, in seconds since the run started: ``phase, start, end =
    segment`` (a named tuple: a timeline makes a few for every bar it paints)."""

    phase: Phase
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def segments(record: RequestRecord, now: float | None = None) -> list[Segment]:
    """The phases of ``record`` that have begun, in order; a request still under way runs to ``now``.

    Empty for a request that never started and is not waiting right now (e.g. a line that was not
    a URL). Zero-length phases (a reused connection has no DNS or connect) are left out.
    """
    end = record.ended if record.ended is not None else now
    if end is None:
        return []
    if record.started is None:  # still queued, or cancelled before its turn
        return [Segment(Phase.QUEUED, 0.0, end)] if end > 0 and record.state is not RequestState.FAILED else []
    cuts: list[tuple[Phase, float]] = [(Phase.QUEUED, 0.0)]
    at = record.started
    for phase, spent in ((Phase.DNS, record.dns), (Phase.CONNECT, record.connect)):
        if spent:
            cuts.append((phase, at))
            at += spent
    cuts.append((Phase.WAITING, at))
    if record.response_at is not None:
        cuts.append((Phase.DOWNLOADING, max(at, record.response_at)))
    result = []
    for (phase, start), (_next, stop) in zip(cuts, [*cuts[1:], (None, end)]):
        stop = min(max(stop, start), end)
        if stop > start:
            result.append(Segment(phase, start, stop))
    return result


def phase_durations(record: RequestRecord, now: float | None = None) -> dict[Phase, float]:
    """Seconds spent in each phase (0 for phases that did not happen), for tooltips and exports."""
    totals = dict.fromkeys(Phase, 0.0)
    for segment in segments(record, now):
        totals[segment.phase] += segment.duration
    return totals


def describe(record: RequestRecord, now: float | None = None) -> str:
    """Several lines about one request: what a hover over its bar shows (``now``: for one under way)."""
    lines = [record.url]
    if record.status is not None:
        lines.append(f"HTTP {record.status} {record.reason}".rstrip() + f" · {format_size(record.bytes_received)}")
    if record.error:
        lines.append(record.error)
    elif record.state is RequestState.RUNNING:
        lines.append(_("Under way…"))
    spent = phase_durations(record, now)
    phases = list(Phase) if record.state.finished or now is not None else []  # no clock, no times
    for phase in phases:
        if phase in (Phase.DNS, Phase.CONNECT) and (record.dns if phase is Phase.DNS else record.connect) is None:
            continue  # blocking mode: requests does not report these
        if spent[phase] or phase in (Phase.WAITING, Phase.DOWNLOADING):
            lines.append(f"{phase.label}: {format_duration(spent[phase])}")
    if record.duration is not None:
        lines.append(_("Request time: {time}").format(time=format_duration(record.duration)))
    return "\n".join(lines)


def request_counts(records: RecordTable) -> str:
    """How many requests and where they are: "40 requests, 38 done, 2 failed" (states with none
    are left out; counted by the table's C loops, so 200,000 records cost about a millisecond)."""
    total = len(records)
    if not total:
        return _("no requests")
    counts = [
        words.format(n=count)
        for state, words in (
            (RequestState.DONE, _("{n:,} done")),
            (RequestState.FAILED, _("{n:,} failed")),
            (RequestState.CANCELLED, _("{n:,} cancelled")),
            (RequestState.RUNNING, _("{n:,} under way")),
            (RequestState.PENDING, _("{n:,} waiting")),
        )
        if (count := records.count_in(state))
    ]
    return ", ".join([ngettext("{n:,} request", "{n:,} requests", total).format(n=total), *counts])


def summary_words(summary: RunSummary) -> str:
    """A finished run's timeline in one sentence, for those who cannot see it: "Timeline of run 3:
    40 requests, 38 done, 2 failed, 1.20 s; longest freeze 0 ms"."""
    return _("Timeline of run {run}: {counts}, {time}; longest freeze {freeze}").format(
        run=summary.run_id, counts=request_counts(summary.records), time=format_duration(summary.wall_time),
        freeze=format_duration(summary.longest_freeze),
    )  # fmt: skip


def progress_words(run_id: int, records: RecordTable, seconds: float) -> str:
    """The timeline of a run under way, ``seconds`` into it: "Timeline of run 3, under way: 40
    requests, 12 done, 28 under way, 0.80 s so far"."""
    return _("Timeline of run {run}, under way: {counts}, {time} so far").format(
        run=run_id, counts=request_counts(records), time=format_duration(seconds)
    )


def span(summary: RunSummary) -> float:
    """The seconds a run's timeline has to show: every request and every freeze fits."""
    return max([summary.wall_time, summary.records.latest_end() or 0.0, *(f.end for f in summary.freezes), 0.0])


LIVE_FIRST = 1.0
LIVE_STEPS = 6
"""While a run goes on, its timeline's time axis holds still and grows in steps, not with every
frame: it shows the first second (LIVE_FIRST), then grows six steps to a decade (x1.47: 1.47,
2.15, 3.16, 4.64, 6.81, 10 s...) as the run outgrows it. Between two steps the finished bars
stay where they are, so the widget keeps their picture and draws only the requests under way (a
timeline rescaled at every frame repaints every bar in view, 30 times a second), and the axis's
numbers hold still long enough to be read. The run's summary fits its own length again."""


def live_span(seconds: float) -> float:
    """The seconds a timeline shows for a run ``seconds`` into it: the first step at or past it."""
    if seconds <= LIVE_FIRST:
        return LIVE_FIRST
    return float(10 ** (math.ceil(math.log10(seconds) * LIVE_STEPS - 1e-9) / LIVE_STEPS))


def nice_step(span_seconds: float, max_ticks: int) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten): at most ``max_ticks`` steps across the span."""
    if span_seconds <= 0 or max_ticks < 1:
        return 1.0
    raw = span_seconds / max_ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def ticks(start: float, end: float, max_ticks: int) -> list[float]:
    """Round times between ``start`` and ``end`` for axis labels."""
    if end <= start:
        return [start]
    step = nice_step(end - start, max_ticks)
    first = math.ceil(start / step - 1e-9) * step
    count = int(math.floor((end - first) / step + 1e-9)) + 1
    return [round(first + i * step, 10) for i in range(max(count, 0))]


def tick_label(seconds: float, step: float) -> str:
    """An axis label: "0", "250 ms", "1.5 s", with as many decimals as the step needs."""
    if seconds == 0:
        return "0"
    if step < 1:
        # As many decimals as the step needs, so neighbouring labels never read the same.
        return f"{seconds * 1000:.{_decimals(step * 1000)}f} ms" if seconds < 1 else f"{seconds:.{_decimals(step)}f} s"
    return f"{seconds:.0f} s"


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def speedup(a: RunSummary, b: RunSummary) -> tuple[float, RunSummary, RunSummary]:
    """(factor, faster, slower): the slower run's wall time over the faster one's."""
    faster, slower = (a, b) if a.wall_time <= b.wall_time else (b, a)
    if faster.wall_time > 0:
        factor = slower.wall_time / faster.wall_time
    else:
        factor = 1.0 if slower.wall_time <= 0 else math.inf
    return factor, faster, slower

