"""The timeline's phases stay apart for every common colour vision, and without colour at all.

Each phase colour is seen as a person with protanopia, deuteranopia or tritanopia sees it
(colorspacious' simulation of Machado et al. 2009 at severity 100: the full deficiency, not a
milder anomaly), and every pair of phases, and every phase against the timeline's background, is
measured in CAM02-UCS, the uniform colour space colorspacious recommends for colour differences.

The threshold, 20: before this test the closest two phases for normal colour vision (Queued and
Waiting) were 21 apart, and that read as two colours; at 20 or more, a colour-blind student gets at
least the separation everyone had. For scale: about 1 is the smallest difference a person notices
between two large patches, and bars a few pixels tall need many times that. The palette this
replaced had DNS and Downloading 4 apart for protanopia ("nearly the same colour", issue 15).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from app.core.timeline import Pattern, Phase

MIN_DELTA_E = 20.0
"""The least CAM02-UCS distance between two phases, or a phase and the background (see above)."""
VISIONS = {
    "normal": None,
    "protanopia": "protanomaly",
    "deuteranopia": "deuteranomaly",
    "tritanopia": "tritanomaly",
}
"""colorspacious calls every deficiency an "-anomaly": at severity 100 it is the "-opia"."""
BACKGROUNDS = {"light": "#ffffff", "dark": "#1e1e1e"}
"""The timeline's background: white in the light palette and presentation mode, and a dark
system palette's base (the bars must show in both)."""


def srgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def seen(colour: str, vision: str | None) -> np.ndarray:
    """``colour`` as a person with ``vision`` sees it, in sRGB (0 to 1)."""
    rgb = srgb(colour)
    if vision is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


def distance(a: str, b: str, vision: str | None) -> float:
    return float(deltaE(seen(a, vision), seen(b, vision), input_space="sRGB1", uniform_space="CAM02-UCS"))


@pytest.mark.parametrize("vision", VISIONS)
def test_every_two_phases_stay_apart(vision: str) -> None:
    too_close = [
        f"{a.label} {a.colour} and {b.label} {b.colour}: {distance(a.colour, b.colour, VISIONS[vision]):.1f}"
        for a, b in itertools.combinations(Phase, 2)
        if distance(a.colour, b.colour, VISIONS[vision]) < MIN_DELTA_E
    ]
    assert not too_close, f"closer than {MIN_DELTA_E} for {vision}: {too_close}"


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize("vision", VISIONS)
def test_every_phase_stands_out_from_the_background(vision: str, background: str) -> None:
    colour = BACKGROUNDS[background]
    faint = [
        f"{p.label} {p.colour}: {distance(p.colour, colour, VISIONS[vision]):.1f}"
        for p in Phase
        if distance(p.colour, colour, VISIONS[vision]) < MIN_DELTA_E
    ]
    assert not faint, f"closer than {MIN_DELTA_E} to the {background} background for {vision}: {faint}"


def test_the_measure_catches_the_old_palette() -> None:
    # The colours before issue 15: DNS and Downloading were nearly one colour for protanopia.
    assert distance("#b565a7", "#3a6ea5", "protanomaly") < 5 < MIN_DELTA_E
    assert distance("#b565a7", "#3a6ea5", None) > MIN_DELTA_E  # ...though not for normal vision


def test_the_phases_differ_without_colour() -> None:
    patterns = [p.pattern for p in Phase]
    assert len(set(patterns)) == len(patterns), patterns
    assert Phase.QUEUED.pattern is Pattern.LINE  # the one phase that is no bar
    names = [p.colour_name for p in Phase]
    assert len(set(names)) == len(names), names


def test_neighbouring_bar_phases_differ_in_lightness() -> None:
    # Lightness survives every colour vision, a grey-scale print and a washed-out projector.
    bars = [p for p in Phase if p.pattern is not Pattern.LINE]
    lightness = [float(cspace_convert(srgb(p.colour), "sRGB1", "CAM02-UCS")[0]) for p in bars]
    steps = [abs(b - a) for a, b in itertools.pairwise(lightness)]
    assert min(steps) >= MIN_DELTA_E, dict(zip((p.label for p in bars), lightness))
