"""LoopLab's translations: one gettext catalog for the whole app, chosen once at start-up.

GNU gettext (Python's own :mod:`gettext`), not Qt's ``tr()``: most of what LoopLab says is
written in the Qt-free ``app.core`` (lessons, verdicts, explanations, error descriptions, the
doctor), which must not import Qt, so one system that works with and without Qt serves both.
Babel (``pybabel extract/update/compile``) keeps the sources: ``resources/locale/looplab.pot``
and ``resources/locale/<lang>/LC_MESSAGES/looplab.po``; the ``.mo`` files are built from them
(``python -m app.i18n compile``, run by ``make run``, ``make test`` and ``make package``) and
never committed. Qt's own words (standard buttons, a line edit's context menu) come from Qt's
``qtbase_<lang>.qm``, loaded by :mod:`app.ui.translations`.

How to mark text:

- ``_("Took {time}; {state}.").format(time=..., state=...)``: a whole sentence with named
  placeholders, never an f-string (translators move the parts around) and never pieces glued
  together.
- ``ngettext("{n} request failed", "{n} requests failed", n).format(n=n)`` for plurals.
- ``N_("...")`` marks a module-level constant for extraction without translating it: it is
  evaluated at import, before the language may be chosen, so it is translated where it is shown
  (``_(CONSTANT)``).
- ``translated("...")`` as a class attribute (a lesson's title) translates on every read.

The language is chosen before the window opens and stays for the session: changing it in
Settings applies at the next start (the dialog says so). ``LOOPLAB_LANG`` (e.g. ``de``) beats
everything else, for tests and for trying a language; then the Settings choice (or a system-wide
default, through :func:`set_language`); then the system's languages, in order of preference.
"""

from __future__ import annotations

import gettext
import io
import logging
import os
import re
import sys
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any, overload

log = logging.getLogger(__name__)

DOMAIN = "looplab"
SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
    "zh_CN": "简体中文",
}
"""Every language LoopLab speaks, by gettext code, named in itself (as a language menu shows them)."""
ENV_VAR = "LOOPLAB_LANG"
"""Overrides every other choice of language for this run: ``LOOPLAB_LANG=de looplab``."""
SYSTEM = ""
"""The Settings value for "follow the system"."""

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE


# --- marking and translating -------------------------------------------------------------------


def _(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, by the current language's plural rule."""
    return _catalog.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for translation without translating it (see the module docstring)."""
    return message


class translated:  # lower case: it reads as a function where it is used, title = translated("...")
    """A class attribute that reads as its text in the current language."""

    def __init__(self, message: str) -> None:
        self.message = message

    @overload
    def __get__(self, instance: None, owner: type) -> str: ...
    @overload
    def __get__(self, instance: object, owner: type) -> str: ...
    def __get__(self, instance: Any, owner: type) -> str:
        return _(self.message)


# --- choosing the language ---------------------------------------------------------------------


def language() -> str:
    """The code of the language LoopLab speaks now (``"en"``, ``"de"``, ``"pt_BR"``, ...)."""
    return _language


def match_language(names: Iterable[str]) -> str | None:
    """The first of ``names`` (system locale or language names in order of preference: "de_DE.UTF-8",
    "pt-BR", "zh-Hans-CN", "fr") that LoopLab speaks, as its code; None if none is.

    "C" and "POSIX" count as English. Chinese counts only when it is the simplified script."""
    for raw in names:
        name = raw.split(".")[0].split("@")[0].replace("-", "_").strip()
        if not name:
            continue
        if name in ("C", "POSIX"):
            return SOURCE_LANGUAGE
        parts = name.split("_")
        lang = parts[0].lower()
        rest = [p for p in parts[1:]]
        if lang == "zh":
            traditional = any(p.lower() == "hant" for p in rest) or any(p.upper() in ("TW", "HK", "MO") for p in rest)
            if not traditional:
                return "zh_CN"
            continue
        if lang == "pt":
            return "pt_BR"  # the Portuguese we have; closer to Portugal's than English is
        if lang in LANGUAGES:
            return lang
    return None


def system_languages() -> list[str]:
    """The system's languages from the environment, as gettext reads them (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG). Qt's view of the system (``QLocale.system().uiLanguages()``, which also
    knows Windows' and macOS' settings) is added by :mod:`app.ui.translations`."""
    names: list[str] = []
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            names.extend(value.split(":"))
            if variable != "LANGUAGE":  # LANGUAGE adds preferences; the first locale variable set decides
                break
    return names


def choose_language(setting: str = SYSTEM, system: Iterable[str] = ()) -> str:
    """The language to use: ``LOOPLAB_LANG``, else ``setting`` (a code, or "" for the system), else
    the first of ``system`` and the environment's languages LoopLab speaks, else English."""
    for candidate in (os.environ.get(ENV_VAR, ""), setting):
        if candidate and (code := match_language([candidate])):
            return code
    return match_language([*system, *system_languages()]) or SOURCE_LANGUAGE


def set_language(code: str | None) -> str:
    """Speaks ``code`` from now on ("de", "pt_BR"; None, "" or an unknown code: English).
    Returns the language now in use. Text already shown or built stays as it was: call this
    before the window is built (start-up does)."""
    global _catalog, _language
    code = match_language([code]) if code else None
    if code is None or code == SOURCE_LANGUAGE:
        _catalog, _language = gettext.NullTranslations(), SOURCE_LANGUAGE
        return _language
    catalog = _load_catalog(code)
    if catalog is None:
        log.warning("No translations for %s were found; LoopLab speaks English", code)
        _catalog, _language = gettext.NullTranslations(), SOURCE_LANGUAGE
    else:
        _catalog, _language = catalog, code
    return _language


def _load_catalog(code: str) -> gettext.NullTranslations | None:
    """The compiled catalog of ``code``; from its ``.po`` source when no ``.mo`` was built (a
    checkout that skipped ``python -m app.i18n compile``), if Babel is installed."""
    folder = locale_dir() / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    if po.is_file():
        try:
            return gettext.GNUTranslations(io.BytesIO(_compile_po(po)))
        except ImportError:
            log.warning("%s is not compiled and Babel is not installed to read it", po)
    if mo.is_file():
        with mo.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    return None


def locale_dir() -> Path:
    """``resources/locale``, wherever the resources are (checkout, wheel or bundle)."""
    return Path(str(files("app._resources").joinpath("locale")))


def catalog_sources() -> dict[str, Path]:
    """Every language's ``.po`` file, by code."""
    return {code: path for code in LANGUAGES if (path := locale_dir() / code / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()}


# --- building (needs Babel: the test and package extras install it) ---------------------------

EXTRACT_KEYWORDS = ("_", "N_", "translated", "ngettext:1,2")
"""What ``extract`` looks for: the functions above."""


def _compile_po(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as stream:
        catalog = read_po(stream)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compile_catalogs(force: bool = False) -> list[Path]:
    """Builds every ``.mo`` that is missing or older than its ``.po``; returns those written."""
    written = []
    for po in catalog_sources().values():
        mo = po.with_suffix(".mo")
        if force or not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            mo.write_bytes(_compile_po(po))
            written.append(mo)
    return written


def extract_and_update() -> None:
    """``pybabel extract`` over ``app/`` into the ``.pot``, then ``pybabel update`` of every ``.po``."""
    from babel.messages.frontend import CommandLineInterface

    def pybabel(argv: list[str]) -> None:
        CommandLineInterface().run(argv)

    from app import __version__

    root = Path(__file__).resolve().parent
    pot = locale_dir() / f"{DOMAIN}.pot"
    keywords = [arg for keyword in EXTRACT_KEYWORDS for arg in ("-k", keyword)]
    here = os.getcwd()
    os.chdir(root.parent)  # the .pot names files as app/..., from the repository's root
    try:
        pybabel(
            ["pybabel", "extract", "--no-default-keywords", *keywords, "--project=LoopLab", f"--version={__version__}",
             "--copyright-holder=The LoopLab team", "--sort-by-file", "--no-wrap", "--add-comments=Translators:",
             "-o", str(pot), "app"]
        )  # fmt: skip
    finally:
        os.chdir(here)
    for code in catalog_sources():
        pybabel(["pybabel", "update", "--no-wrap", "--no-fuzzy-matching", "-D", DOMAIN, "-i", str(pot),
                 "-d", str(locale_dir()), "-l", code])  # fmt: skip


def main(argv: list[str]) -> int:
    """``python -m app.i18n compile [--force]`` | ``extract``."""
    command = argv[0] if argv else ""
    if command == "compile":
        written = compile_catalogs(force="--force" in argv)
        print(f"Compiled {len(written)} catalog(s) in {locale_dir()}")
        return 0
    if command == "extract":
        extract_and_update()
        return 0
    print("usage: python -m app.i18n compile [--force] | extract", file=sys.stderr)
    return 2


PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[:!][^{}]*)?\}(?!\})")
"""A ``str.format`` placeholder with a name: ``{time}``, ``{n:,}`` (tests compare them)."""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
