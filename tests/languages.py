"""Finding English left in a translated window or output: shared by the translation tests.

The English words to look for are LoopLab's own: every word of the English messages (the .pot),
less the words the language's own translation uses (German keeps "Status", "Details", "Task";
every language keeps "asyncio.sleep()", "LoopLab", "aiohttp"), less a few names and units. A
word of the window that is in what is left is English that was not translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from app import i18n

TRANSLATED = tuple(code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE)
"""The languages LoopLab is translated into."""

ALLOWED = frozenset(
    {
        # names and units that are the same in every language
        "looplab", "python", "asyncio", "aiohttp", "requests", "qasync", "pyside", "qt", "http", "https", "url", "urls",
        "ok", "ms", "kb", "mb", "tls", "dns", "tcp", "cpu", "gui", "gil", "io", "har", "csv", "png", "json", "mit",
        "async", "sync", "await", "main", "session", "pool", "esc", "ctrl", "tab", "shift", "return", "enter", "min",
        # the Tasks tab names a task by its function: LoopLab's own "worker" coroutines are code
        "worker",
        "perfetto", "httpbin", "ipv", "utf", "nul", "pid", "spawn", "pip", "macos", "windows", "linux", "debian", "ubuntu",
    }
)  # fmt: skip
_URL = re.compile(r"\S*://\S*")
_CODE = re.compile(r"\S*[._()=/`<>*#\\\[\]{}@]\S*")
"""A token with a dot, bracket, slash and the like: code, a path, a file name or a placeholder."""
_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*", re.UNICODE)


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, with URLs, code and placeholders taken out."""
    text = _URL.sub(" ", text.replace("&", ""))
    text = _CODE.sub(" ", text)
    return [w.lower() for w in _WORD.findall(text) if len(w) > 1]


def _messages(po: Path) -> list[tuple[list[str], list[str]]]:
    with po.open("rb") as stream:
        catalog = read_po(stream)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, tuple) else [message.id]
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string or ""]
        found.append((ids, strings))
    return found


@cache
def english_words(code: str) -> frozenset[str]:
    """LoopLab's English words that ``code``'s translation never uses."""
    source = i18n.catalog_sources()[code]
    english: set[str] = set()
    translated: set[str] = set()
    for ids, strings in _messages(source):
        for text in ids:
            english.update(words(text))
        for text in strings:
            translated.update(words(text))
    return frozenset(english - translated - ALLOWED)


def english_left(texts: Iterable[str], code: str) -> list[str]:
    """Each text of ``texts`` that still has English words in it, with those words."""
    suspects = english_words(code)
    found = []
    for text in dict.fromkeys(texts):
        english = [w for w in words(text) if w in suspects]
        if english:
            found.append(f"{', '.join(dict.fromkeys(english))}: {text!r}")
    return found
