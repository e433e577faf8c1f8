"""Durations and sizes as people read them, and back: "850 ms", "2.04 s", "1.0 MB"."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A duration as people say it: "850 ms", "2.04 s", "12.5 s", "1 min 05 s"."""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10.0:
        return f"{seconds:.2f} s"
    if seconds < 60.0:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def parse_duration(text: str) -> float:
    """Reads a :func:`format_duration` text back into seconds ("850 ms", "2.04 s", "1 min 05 s")."""
    words = text.split()
    if len(words) == 4 and words[1] == "min" and words[3] == "s":
        return int(words[0]) * 60 + int(words[2])
    if len(words) == 2 and words[1] in ("ms", "s"):
        return float(words[0]) / (1000 if words[1] == "ms" else 1)
    raise ValueError(f"not a duration: {text!r}")


def format_seconds_setting(seconds: float) -> str:
    """A configured limit, e.g. a timeout: "10 s", "0.5 s" (no trailing zeros)."""
    return f"{seconds:g} s"


def format_size(n_bytes: int) -> str:
    """A byte count in the decimal units browsers show: "512 B", "1.0 MB", "250 kB"."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    value = float(n_bytes)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000.0
        if value < 999.95 or unit == "TB":
            break
    return f"{value:.1f} {unit}" if round(value, 1) < 100 else f"{value:.0f} {unit}"
