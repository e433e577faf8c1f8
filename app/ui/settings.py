"""What LoopLab remembers between launches, read defensively from ``QSettings``.

One INI file per user (``LoopLab/LoopLab.ini`` in the user's config folder), the same format on
every system, so a teacher can find and delete it. Anything unreadable or nonsensical in it (a
damaged file, a hand edit, a value from a future version) falls back to the default for that
value, with a log line: settings never stop the lab from starting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields

from PySide6.QtCore import QByteArray, QSettings

from app.core.lessons import GATHER_URLS, LESSON_IDS, SCALES
from app.core.run import FetchMode

log = logging.getLogger(__name__)

ORG_NAME = APP_NAME = "LoopLab"
DEMO_SERVER = "http://demo-server.looplab"
"""Stands for the built-in demo server's address in a remembered URL list (its port changes
at every launch). Never fetched: the window swaps the real address in before showing the list."""
SOURCES = ("urls", "lessons")


@dataclass
class Remembered:
    """Every remembered value, with its default. ``urls`` None means "the built-in demo URLs"."""

    urls: str | None = None
    mode: FetchMode = FetchMode.ASYNC
    concurrency: int = 100
    time_scale: float = 1.0
    lesson: str = ""
    limit: int = 3
    source: str = "urls"
    """Which left-hand tab was open: your URLs or the lessons."""
    presentation: bool = False
    geometry: QByteArray = field(default_factory=QByteArray)


def open_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_NAME)


def load(settings: QSettings | None = None) -> Remembered:
    """Reads what was remembered; every missing, unreadable or nonsensical value gets its default."""
    settings = settings or open_settings()
    defaults = Remembered()
    settings.allKeys()  # Qt reads the file lazily: only after a read does status() say it is damaged
    if settings.status() != QSettings.Status.NoError:
        log.warning("Settings file %s is unreadable (%s); starting with defaults", settings.fileName(), settings.status().name)
        return defaults
    remembered = Remembered()
    for item in fields(Remembered):
        if not settings.contains(item.name):
            continue
        raw = settings.value(item.name)
        try:
            value = _parse(item.name, raw)
        except (TypeError, ValueError) as exc:
            log.warning("Ignoring the remembered %s %r (%s); using the default", item.name, raw, exc)
            continue
        setattr(remembered, item.name, value)
    return remembered


def save(remembered: Remembered, settings: QSettings | None = None) -> None:
    settings = settings or open_settings()
    for item in fields(Remembered):
        value = getattr(remembered, item.name)
        if item.name == "urls" and value is None:
            settings.remove("urls")
        elif isinstance(value, FetchMode):
            settings.setValue(item.name, value.value)
        else:
            settings.setValue(item.name, value)
    settings.sync()
    if settings.status() != QSettings.Status.NoError:
        log.warning("Could not save the settings to %s (%s)", settings.fileName(), settings.status().name)


def clear(settings: QSettings | None = None) -> None:
    """Forgets everything (Reset to defaults)."""
    settings = settings or open_settings()
    settings.clear()
    settings.sync()


def _parse(name: str, raw: object) -> object:
    """The value ``raw`` read from the file, checked; ValueError/TypeError when it makes no sense."""
    if name == "urls":
        if not isinstance(raw, str) or len(raw) > 2_000_000:
            raise ValueError("not text")
        return raw
    if name == "mode":
        return FetchMode(str(raw))
    if name == "concurrency":
        return _int_in(raw, 1, 1000)
    if name == "limit":
        return _int_in(raw, 1, GATHER_URLS)
    if name == "time_scale":
        scale = float(str(raw))
        if scale not in SCALES:
            raise ValueError(f"not one of {SCALES}")
        return scale
    if name == "lesson":
        if str(raw) not in ("", *LESSON_IDS):
            raise ValueError("no such lesson")
        return str(raw)
    if name == "source":
        if str(raw) not in SOURCES:
            raise ValueError(f"not one of {SOURCES}")
        return str(raw)
    if name == "presentation":
        return _bool(raw)
    if name == "geometry":
        if not isinstance(raw, QByteArray):
            raise TypeError("not window geometry")
        return raw
    raise ValueError(f"unknown setting {name}")  # pragma: no cover - fields and parsers go together


def _int_in(raw: object, low: int, high: int) -> int:
    value = int(str(raw))
    if not low <= value <= high:
        raise ValueError(f"not between {low} and {high}")
    return value


def _bool(raw: object) -> bool:
    # QSettings' INI files give booleans back as the strings "true" / "false".
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("not true or false")
