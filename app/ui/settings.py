"""What LoopLab remembers between launches, read defensively from ``QSettings``.

One INI file per user (``LoopLab/LoopLab.ini`` in the user's config folder), the same format on
every system, so a teacher can find and delete it. Anything unreadable or nonsensical in it (a
damaged file, a hand edit, a value from a future version) falls back to the default for that
value, with a log line: settings never stop the lab from starting.

A long URL list (a pasted 200,000 lines) is kept next to it in ``LoopLab-urls.txt``: QSettings
takes half a second to write 8 MB into an INI file. That file is written on a thread of its own,
a slice at a time, and only when the list has changed, so a run never stalls for it.

Under the user's values lie IT's, from the computer's defaults file (``app.site_defaults``): a
user with nothing saved starts with them, and a value IT preset is saved only once the user
has changed it, so a new defaults file reaches everyone who kept what IT gave them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from app import site_defaults
from app.core.demo_server import demo_urls
from app.core.freeze_guard import DEFAULT_LIMIT, MAX_LIMIT, MIN_LIMIT
from app.core.lessons import GATHER_URLS, LESSON_IDS, SCALES
from app.core.run import FetchMode
from app import i18n
from app.identity import APP_NAME, ORG_NAME
from app.ui.look import ZOOM_STEPS

log = logging.getLogger(__name__)

DEMO_SERVER = "http://demo-server.looplab"
"""Stands for the built-in demo server's address in a remembered URL list (its port changes
at every launch). Never fetched: the window swaps the real address in before showing the list."""
SOURCES = ("urls", "lessons")
LONG_LIST_CHARS = 100_000
"""URL lists longer than this are kept in a file of their own beside the INI file."""
URLS_FILE = "LoopLab-urls.txt"


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
    zoom: float = 1.0
    """View > Zoom: every font, 0.7 (70 %) to 2.0 (200 %)."""
    freeze_limit: float = DEFAULT_LIMIT
    """Seconds a lesson's code may freeze the window before the freeze guard stops it (Settings)."""
    language: str = ""
    """The language chosen in Settings (a code of ``app.i18n.LANGUAGES``), or "" for the system's."""
    geometry: QByteArray = field(default_factory=QByteArray)


def open_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_NAME)


def defaults() -> Remembered:
    """What a user with nothing remembered starts with: the built-in defaults, with those IT
    preset in the computer's defaults file (``app.site_defaults``) in their place."""
    preset = site_defaults.load()
    remembered = Remembered()
    if preset.urls is not None:
        remembered.urls = preset.urls
    if preset.presentation is not None:
        remembered.presentation = preset.presentation
    if preset.language:
        remembered.language = i18n.match_language([preset.language]) or ""
    return remembered


def language(settings: QSettings | None = None) -> str:
    """The language LoopLab is to speak (``app.ui.translations`` asks, before the window is built):
    the user's own choice if one is saved (the ``language`` key, File > Settings > Language), else
    the one IT preset in the defaults file, else "" for the system's language. A tag as written
    ("pt-BR"); ``app.i18n.choose_language`` makes it one of LoopLab's languages."""
    settings = settings or open_settings()
    settings.allKeys()  # as load(): a damaged file is said here, the first time it is read
    if settings.status() != QSettings.Status.NoError:
        log.warning("Settings file %s is unreadable (%s); starting with defaults", settings.fileName(), settings.status().name)
        return site_defaults.load().language
    raw = settings.value("language")
    if raw is not None and str(raw).strip():
        if site_defaults.is_language_tag(str(raw).strip()):
            return str(raw).strip()
        log.warning("Ignoring the remembered language %r (not a language tag)", raw)
    return site_defaults.load().language


def load(settings: QSettings | None = None) -> Remembered:
    """Reads what was remembered; every missing, unreadable or nonsensical value gets its default
    (IT's where the defaults file presets one, see :func:`defaults`)."""
    settings = settings or open_settings()
    _long_lists.wait()  # a long list still being written is read whole, or not at all
    start = defaults()
    settings.allKeys()  # Qt reads the file lazily: only after a read does status() say it is damaged
    if settings.status() != QSettings.Status.NoError:
        log.warning("Settings file %s is unreadable (%s); starting with defaults", settings.fileName(), settings.status().name)
        return start
    remembered = replace(start)
    for item in fields(Remembered):
        if item.name == "urls" and _bool_or_false(settings.value("urls_in_file")):
            remembered.urls = _read_long_list(settings)
            continue
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


def save(remembered: Remembered, settings: QSettings | None = None, *, demo_server_url: str = "") -> None:
    """Remembers ``remembered``. ``demo_server_url``: this launch's demo server, written as
    :data:`DEMO_SERVER` wherever the URL list names it (its port changes at every launch)."""
    settings = settings or open_settings()
    preset = site_defaults.load()
    for item in fields(Remembered):
        value = getattr(remembered, item.name)
        if _as_preset(preset, item.name, value, demo_server_url):
            # Not the user's own: the next launch takes it from the defaults file, as it then is.
            if item.name == "urls":
                _save_urls(settings, None, demo_server_url)
            else:
                settings.remove(item.name)
        elif item.name == "urls":
            if value is None and "urls" in preset.keys:
                # The built-in demo URLs, chosen over IT's list (File > Restore the demo URLs):
                # written out, or the next launch would start with IT's list again.
                value = "\n".join(demo_urls(DEMO_SERVER))
            _save_urls(settings, value, demo_server_url)
        elif isinstance(value, FetchMode):
            settings.setValue(item.name, value.value)
        else:
            settings.setValue(item.name, value)
    settings.sync()
    if settings.status() != QSettings.Status.NoError:
        log.warning("Could not save the settings to %s (%s)", settings.fileName(), settings.status().name)


def _as_preset(preset: site_defaults.SiteDefaults, name: str, value: object, demo_server_url: str) -> bool:
    """True when ``value`` is what IT preset for ``name`` (the window shows the preset URL list
    with this launch's demo server in place of :data:`DEMO_SERVER`)."""
    if name not in preset.keys:
        return False
    if name == "urls":
        shown = preset.urls.replace(DEMO_SERVER, demo_server_url) if preset.urls and demo_server_url else preset.urls
        return value == shown
    if name == "language":  # "pt-BR" in the file is "pt_BR" in the dialog
        return i18n.match_language([str(value)]) == i18n.match_language([preset.language])
    return bool(value == getattr(preset, name))


def clear(settings: QSettings | None = None) -> None:
    """Forgets everything (Reset to defaults)."""
    settings = settings or open_settings()
    settings.clear()
    settings.sync()
    _long_lists.forget()
    _long_list_path(settings).unlink(missing_ok=True)


def wait_until_written() -> None:
    """Returns once a long URL list being written has been (call before quitting)."""
    _long_lists.wait()


def _long_list_path(settings: QSettings) -> Path:
    return Path(settings.fileName()).with_name(URLS_FILE)


def _save_urls(settings: QSettings, urls: str | None, demo_server_url: str) -> None:
    path = _long_list_path(settings)
    if urls is None or len(urls) <= LONG_LIST_CHARS:
        if urls is None:
            settings.remove("urls")
        else:
            settings.setValue("urls", urls.replace(demo_server_url, DEMO_SERVER) if demo_server_url else urls)
        settings.remove("urls_in_file")
        _long_lists.forget()
        path.unlink(missing_ok=True)
        return
    settings.remove("urls")
    settings.setValue("urls_in_file", True)
    _long_lists.write(path, urls, demo_server_url)


class _LongListWriter:
    """Writes long URL lists to their file on a thread, a slice at a time; the latest list wins.

    Each slice holds the interpreter lock for well under a millisecond (a 256 kB copy and a
    replace), and the file write itself releases it: the GUI thread never waits long. A list
    already written (the same text, unchanged since) is not written again.
    """

    SLICE = 256 * 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: tuple[Path, str, str] | None = None
        self._written: tuple[Path, str, str] | None = None
        self._thread: threading.Thread | None = None

    def write(self, path: Path, text: str, demo_server_url: str) -> None:
        with self._lock:
            if (written := self._written) is not None and written[0] == path and written[2] == demo_server_url:
                if written[1] is text or written[1] == text:
                    self._pending = None  # a newer save asked for what is already there
                    return
            self._pending = (path, text, demo_server_url)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="looplab-save-urls")
                self._thread.start()

    def forget(self) -> None:
        """Drops a list not yet written, and waits for one being written (before its file goes)."""
        with self._lock:
            self._pending = None
        self.wait()
        with self._lock:
            self._written = None

    def wait(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._thread = None
                    return
            if self._write_file(*job):
                with self._lock:
                    self._written = job

    def _write_file(self, path: Path, text: str, demo_server_url: str) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Whole or not at all: a full disk mid-write must not leave half a list behind.
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".urls-", suffix=".txt")
            try:
                # newline="": the list's own line breaks, not the system's (no CRCRLF on Windows).
                with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
                    start = 0
                    while start < len(text):
                        # Cut after a line break: no URL, so no demo server address, is split.
                        end = text.find("\n", start + self.SLICE)
                        end = len(text) if end < 0 else end + 1
                        piece = text[start:end]
                        file.write(piece.replace(demo_server_url, DEMO_SERVER) if demo_server_url else piece)
                        start = end
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("Could not save the long URL list to %s (%s)", path, exc)
            return False
        return True


_long_lists = _LongListWriter()


def _read_long_list(settings: QSettings) -> str | None:
    path = _long_list_path(settings)
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("Could not read the remembered URL list %s (%s); using the demo URLs", path, exc)
        return None


def _bool_or_false(raw: object) -> bool:
    try:
        return raw is not None and _bool(raw)
    except ValueError:
        return False


def _parse(name: str, raw: object) -> object:
    """The value ``raw`` read from the file, checked; ValueError/TypeError when it makes no sense."""
    if name == "urls":
        if not isinstance(raw, str) or len(raw) > site_defaults.MAX_URLS_CHARS:
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
    if name == "zoom":
        zoom = float(str(raw))
        if not ZOOM_STEPS[0] <= zoom <= ZOOM_STEPS[-1]:  # also refuses nan
            raise ValueError(f"not between {ZOOM_STEPS[0]:.0%} and {ZOOM_STEPS[-1]:.0%}")
        return zoom
    if name == "freeze_limit":
        seconds = float(str(raw))
        if not MIN_LIMIT <= seconds <= MAX_LIMIT:  # also refuses nan
            raise ValueError(f"not between {MIN_LIMIT:g} and {MAX_LIMIT:g} seconds")
        return seconds
    if name == "language":
        tag = str(raw).strip()
        code = i18n.match_language([tag]) if tag else ""
        if code is None:
            raise ValueError(f"not one of {', '.join(i18n.LANGUAGES)}")
        return code
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
