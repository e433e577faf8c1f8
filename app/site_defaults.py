"""IT's defaults for everyone on a computer: one INI file, read at start-up, before the user's own
settings (``app.ui.settings``) and under them: a value a user has changed wins.

Where LoopLab looks (the first file that exists is used, the others are not read):

- Linux and other Unix systems: ``LoopLab/defaults.ini`` in each folder of ``$XDG_CONFIG_DIRS``,
  in order (when unset: ``/etc/xdg``, so ``/etc/xdg/LoopLab/defaults.ini``);
- Windows: ``%ProgramData%\\LoopLab\\defaults.ini`` (usually ``C:\\ProgramData\\LoopLab\\defaults.ini``);
- macOS: ``/Library/Application Support/LoopLab/defaults.ini``;
- anywhere: ``LOOPLAB_DEFAULTS=path`` reads that file instead, and ``LOOPLAB_DEFAULTS=`` (empty)
  reads none (tests, or trying a file out before deploying it).

What it holds (every key optional; the README's "Deploying LoopLab in a school" has an example)::

    [lab]
    urls =
        https://example.org/
        http://demo-server.looplab/delay/1
    presentation = true
    language = de

``urls`` is the URL list a new user starts with, one URL a line (indented continuation lines;
``http://demo-server.looplab`` stands for the built-in demo server). ``presentation`` starts in
presentation mode. ``language`` is the language LoopLab speaks (``de``, ``es``, ``fr``, ``pt_BR``
or ``zh_CN``; ``pt-BR`` and the like are understood), over the system's and under a user's own
File > Settings > Language (:func:`language` in ``app.ui.settings``, then ``app.i18n``).

The file is UTF-8, or UTF-16 with a byte-order mark (what Windows PowerShell writes). A file
that cannot be read or parsed is logged and ignored, and so is each value that makes no
sense; LoopLab always starts. Qt-free, like ``app.core``: it only reads a file.
"""

from __future__ import annotations

import codecs
import configparser
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ENV_VAR = "LOOPLAB_DEFAULTS"
FILE_NAME = "defaults.ini"
FOLDER = "LoopLab"  # app.identity.APP_NAME, spelt out: the path IT writes to must not move
SECTION = "lab"
KEYS = ("urls", "presentation", "language")
MAX_BYTES = 8_000_000
"""A bigger file is not read: it would stall start-up (the longest URL list a user may keep is
2,000,000 characters)."""
MAX_URLS_CHARS = 2_000_000
"""The longest URL list kept, from this file or from a user's settings (``app.ui.settings``)."""
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*")
"""A language tag as Qt's QLocale and gettext take them: de, pt_BR, pt-BR, zh_CN, zh-Hans-CN."""


@dataclass(frozen=True)
class SiteDefaults:
    """What IT preset. ``None`` (or ``""`` for the language) means "not preset": the built-in default."""

    path: Path | None = None
    """The file the values came from, None when there was none (or it was unusable)."""
    urls: str | None = None
    presentation: bool | None = None
    language: str = ""
    keys: tuple[str, ...] = field(default=())
    """The keys that were preset, in the order of KEYS."""


def candidates(environ: Mapping[str, str] | None = None, platform: str | None = None) -> list[Path]:
    """Where this system's defaults file may be, most important first (``LOOPLAB_DEFAULTS`` aside)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        program_data = environ.get("ProgramData") or environ.get("PROGRAMDATA") or r"C:\ProgramData"
        return [Path(program_data, FOLDER, FILE_NAME)]
    if platform == "darwin":
        return [Path("/Library/Application Support", FOLDER, FILE_NAME)]
    # The XDG Base Directory spec: a colon-separated list, most important first; relative
    # entries are invalid and ignored.
    dirs = [d for d in (environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if os.path.isabs(d)]
    return [Path(d, FOLDER, FILE_NAME) for d in dirs or ["/etc/xdg"]]


def find(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path | None:
    """The defaults file to read, or None."""
    environ = os.environ if environ is None else environ
    if ENV_VAR in environ:
        chosen = environ[ENV_VAR].strip()
        return Path(chosen) if chosen else None
    return next((path for path in candidates(environ, platform) if path.exists()), None)


def load(environ: Mapping[str, str] | None = None, platform: str | None = None) -> SiteDefaults:
    """This computer's defaults; anything unusable in the file is logged and left out.

    The file is parsed again only when it has changed (its size or modification time), so
    calling this at every save costs a ``stat`` and logs a bad file's problems once.
    """
    path = find(environ, platform)
    if path is None:
        return SiteDefaults()
    try:
        info = path.stat()
        stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = None  # _read says why
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    preset = _read(path)
    _cache[path] = (stamp, preset)
    return preset


def is_language_tag(text: str) -> bool:
    """True for a language tag such as de, pt_BR or zh-Hans-CN (what QLocale takes)."""
    return bool(_LANGUAGE.fullmatch(text))


_cache: dict[Path, tuple[tuple[int, int] | None, SiteDefaults]] = {}


def _read(path: Path) -> SiteDefaults:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"it is larger than {MAX_BYTES:,} bytes")
        text = _decode(path.read_bytes())
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text, source=str(path))
    except (OSError, UnicodeDecodeError, ValueError, configparser.Error) as exc:
        log.warning("Ignoring the defaults file %s: %s", path, _first_line(exc))
        return SiteDefaults()
    # Section names are case-sensitive in INI files; a hand-written [Lab] is meant as [lab].
    section = next((name for name in parser.sections() if name.lower() == SECTION), None)
    if section is None:
        log.warning("Ignoring the defaults file %s: it has no [%s] section", path, SECTION)
        return SiteDefaults()
    values: dict[str, object] = {}
    for key, raw in parser.items(section):
        if key not in KEYS:
            log.warning("Ignoring %s in the defaults file %s: not one of %s", key, path, ", ".join(KEYS))
            continue
        try:
            values[key] = _parse(key, raw)
        except ValueError as exc:
            log.warning("Ignoring %s = %r in the defaults file %s: %s", key, _shorten(raw), path, exc)
    for other in parser.sections():
        if other != section:
            log.warning("Ignoring the section [%s] of the defaults file %s: only [%s] is read", other, path, SECTION)
    preset = SiteDefaults(path=path, keys=tuple(k for k in KEYS if k in values), **values)  # type: ignore[arg-type]
    log.info("Defaults from %s: %s", path, ", ".join(preset.keys) or "nothing usable")
    return preset


def _decode(data: bytes) -> str:
    """UTF-8, with or without the byte-order mark Windows Notepad long wrote; or UTF-16 with its
    mark, as Windows PowerShell 5.1's Out-File and ">" and Notepad's "Unicode" write it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _parse(key: str, raw: str) -> object:
    if key == "urls":
        # One URL a line; configparser has already dropped comment lines inside the value.
        lines = [line.strip() for line in raw.splitlines()]
        urls = "\n".join(line for line in lines if line)
        if not urls:
            raise ValueError("no URLs")
        if len(urls) > MAX_URLS_CHARS:
            raise ValueError(f"longer than {MAX_URLS_CHARS:,} characters")
        return urls
    if key == "presentation":
        state = configparser.ConfigParser.BOOLEAN_STATES.get(raw.strip().lower())
        if state is None:
            raise ValueError("not true or false")
        return state
    if key == "language":
        tag = raw.strip()
        if not is_language_tag(tag):
            raise ValueError("not a language tag such as de, fr or pt_BR")
        return tag
    raise ValueError(f"unknown key {key}")  # pragma: no cover - KEYS and _parse go together


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
