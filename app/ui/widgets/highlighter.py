"""Python's colours for the code editor, from a real lexer: Pygments' ``PythonLexer``.

Each line is lexed from the state stack the line before ended in (:mod:`app.core.python_lexing`),
kept as the block's state, and the highlighter goes on to the next line only while that state
changes. So typing re-lexes one line, and opening a ``\"\"\"`` re-lexes the lines it swallows, once.

``await`` and ``async`` stand out, because they are what the lessons are about, and so do the
blocking calls the lessons show (``time.sleep``, ``requests.get``, ``count_primes``).

The colours are LoopLab's own rather than a Pygments style's (no style singles out ``await`` or
the blocking calls), in a light and a dark set (:class:`~app.ui.look.Ink`), each at least 4.5:1
on the editor's background; the set follows the system's colour scheme, live.
"""

from __future__ import annotations

import logging
import re

from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType
from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from app.core.python_lexing import MAX_COLOURED_LINE, ROOT, Stack, lex_line, python_lexer
from app.ui import look
from app.ui.system_look import system_look

log = logging.getLogger(__name__)

BLOCKING_CALLS = re.compile(r"\b(?:time\.sleep|requests\.get|count_primes)\b")

COLOURS: dict[str, tuple[look.Ink, bool, bool]] = {
    # what: (colour on light and on dark, bold, italic)
    "keyword": (look.Ink("#6a4fb8", "#b39dff"), True, False),
    "async": (look.Ink("#13796a", "#4fd1c5"), True, False),
    "blocking": (look.Ink("#b8283d", "#ff7b8a"), True, False),
    "string": (look.Ink("#3b7a1f", "#8fd16a"), False, False),
    "interpolation": (look.Ink("#935a00", "#f3b25a"), True, False),
    # the braces of an f-string's ``{...}``, and ``%s``-style placeholders
    "number": (look.Ink("#a35400", "#f4a261"), False, False),
    "comment": (look.Ink("#5f646c", "#a3a9b1"), False, True),
    "defined": (look.Ink("#2c63b5", "#7fb3ff"), True, False),  # the name a ``def`` or ``class`` gives
    "builtin": (look.Ink("#2c63b5", "#7fb3ff"), False, False),
}
"""The editor's colours: each at least 4.5:1 on its background, light or dark."""


def _formats(dark: bool) -> dict[str, QTextCharFormat]:
    formats = {}
    for name, (ink, bold, italic) in COLOURS.items():
        style = QTextCharFormat()
        style.setForeground(QColor(ink.dark if dark else ink.light))
        if bold:
            style.setFontWeight(QFont.Weight.Bold)
        style.setFontItalic(italic)
        formats[name] = style
    return formats


_LIGHT = _formats(dark=False)


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, the async pair, strings (f-string expressions as code), numbers, comments, names
    being defined and the blocking calls, in colours for the system's scheme (:data:`COLOURS`)."""

    # The light set by name, as it always was (:meth:`format_for` gives the set in use).
    KEYWORD, ASYNC, BLOCKING = _LIGHT["keyword"], _LIGHT["async"], _LIGHT["blocking"]
    STRING, INTERPOLATION, NUMBER = _LIGHT["string"], _LIGHT["interpolation"], _LIGHT["number"]
    COMMENT, DEFINED, BUILTIN = _LIGHT["comment"], _LIGHT["defined"], _LIGHT["builtin"]

    def __init__(self, document: QTextDocument, owner: QObject | None = None) -> None:
        """Colours ``document``; ``owner`` (by default the document's parent) keeps it alive."""
        super().__init__(owner if owner is not None else document.parent())
        self.dark = look.is_dark()
        """Whether the colours are the dark set (the application's palette is dark)."""
        self._formats = _formats(self.dark)
        system_look().changed.connect(self._on_system_look_changed)
        self._lexer = python_lexer()
        self._stacks: list[Stack] = [ROOT]  # a block's state is an index into this list
        self._state_of: dict[Stack, int] = {ROOT: 0}
        self._failed = False
        self.setDocument(document)  # only now: it may highlight at once, and needs the above

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        previous = self.previousBlockState()
        stack = self._stacks[previous] if 0 <= previous < len(self._stacks) else ROOT
        if len(text) > MAX_COLOURED_LINE:
            self.setCurrentBlockState(self._state(stack))
            return
        try:
            tokens, ends_in = lex_line(self._lexer, text, stack)
        except Exception:  # noqa: BLE001 - a Pygments we do not know: the code shows, uncoloured
            if not self._failed:
                log.exception("The code editor cannot colour with this version of Pygments")
            self._failed = True
            return
        names: list[tuple[int, int]] = []
        for start, kind, value in tokens:
            if start >= len(text):
                break
            style = self.format_for(kind, value)
            if style is not None:
                self.setFormat(start, min(len(value), len(text) - start), style)
            elif kind in Name:
                names.append((start, start + len(value)))
        for match in BLOCKING_CALLS.finditer(text):
            # Only where the lexer saw code: "time.sleep" in a comment or a string stays as it is.
            if any(start <= match.start() < end for start, end in names):
                self.setFormat(match.start(), match.end() - match.start(), self._formats["blocking"])
        self.setCurrentBlockState(self._state(ends_in))

    def stack_after(self, block_number: int) -> Stack:
        """The lexer's state where line ``block_number`` (0-based) ends, e.g. inside a string."""
        state = self.document().findBlockByNumber(block_number).userState()
        return self._stacks[state] if 0 <= state < len(self._stacks) else ROOT

    def _state(self, stack: Stack) -> int:
        found = self._state_of.get(stack)
        if found is None:
            found = self._state_of[stack] = len(self._stacks)
            self._stacks.append(stack)
        return found

    def format_for(self, kind: _TokenType, value: str) -> QTextCharFormat | None:
        """How a token of type ``kind`` reading ``value`` is shown (None: as plain text)."""
        name = self._style(kind, value)
        return self._formats[name] if name is not None else None

    def _on_system_look_changed(self) -> None:
        dark = look.is_dark()
        if dark != self.dark:
            self.dark, self._formats = dark, _formats(dark)
            self.rehighlight()

    @staticmethod
    def _style(kind: _TokenType, value: str) -> str | None:
        if kind in Comment:
            return "comment"
        if kind in String.Interpol:
            return "interpolation"
        if kind in String:
            return "string"
        if kind in Keyword or kind in Operator.Word:
            return "async" if value in ("async", "await") else "keyword"
        if kind in Number:
            return "number"
        if kind in Name.Function or kind in Name.Class:
            return "defined"
        if kind in Name.Builtin:
            return "builtin"
        return None
