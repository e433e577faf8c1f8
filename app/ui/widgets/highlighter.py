"""Python's colours for the code editor, from a real lexer: Pygments' ``PythonLexer``.

Regular expressions per line cannot know that line 5 is inside a triple-quoted string begun on
line 3, that ``{SERVER}`` inside an f-string is code, or that ``#`` inside a string starts no
comment. A lexer can, if it is told where the previous line left it: as Jupyter's Qt console
does, each line is lexed from the state stack the line before ended in (kept as the block's
state), and the highlighter goes on to the next line only while that state changes. So typing
re-lexes one line, and opening a ``\"\"\"`` re-lexes the lines it swallows, once.

``await`` and ``async`` stand out, because they are what the lessons are about, and so do the
blocking calls the lessons show (``time.sleep``, ``requests.get``, ``count_primes``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from pygments.lexer import RegexLexer
from pygments.lexers.python import PythonLexer
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, Whitespace, _TokenType
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

log = logging.getLogger(__name__)

Token = tuple[int, _TokenType, str]
"""(position in the line, Pygments token type, text)."""
Stack = tuple[str, ...]
"""The lexer's state stack where a line ends: ``("root",)`` outside anything open."""
ROOT: Stack = ("root",)
BLOCKING_CALLS = re.compile(r"\b(?:time\.sleep|requests\.get|count_primes)\b")
MAX_COLOURED_LINE = 2000
"""Longer lines are left uncoloured, the lexer's state carried over them as it was: they are
data, not code a class reads, and Pygments takes seconds on a line of a megabyte (a .py file
the playground opens), again at every key typed on it."""


def lex_line(lexer: RegexLexer, line: str, stack: Stack = ROOT) -> tuple[list[Token], Stack]:
    """The tokens of one line (without its line end) lexed from ``stack``, and the stack the
    line ends in: Pygments' ``RegexLexer.get_tokens_unprocessed``, which can start from a stack
    but never says where it ended."""
    text = line + "\n"  # the line end is lexed too: it closes what cannot span lines
    tokens: list[Token] = []
    states = list(stack)
    definitions = lexer._tokens  # noqa: SLF001 - the processed rules, as Pygments itself reads them
    rules = definitions[states[-1]]
    position = 0
    while position < len(text):
        for match_at, action, new_state in rules:
            match = match_at(text, position)
            if not match:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    tokens.append((position, action, match.group()))
                else:
                    tokens.extend(action(lexer, match))
            position = match.end()
            if new_state is not None:
                _change_state(states, new_state)
                rules = definitions[states[-1]]
            break
        else:  # nothing matched: as Pygments does, the line end goes back to the root state
            if text[position] == "\n":
                states = list(ROOT)
                rules = definitions["root"]
                tokens.append((position, Whitespace, "\n"))
            else:
                tokens.append((position, Error, text[position]))
            position += 1
    return tokens, tuple(states)


def _change_state(states: list[str], new_state: object) -> None:
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(states) > 1:
                    states.pop()
            elif state == "#push":
                states.append(states[-1])
            else:
                states.append(state)
    elif isinstance(new_state, int):  # pop that many, keeping one state
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    style = QTextCharFormat()
    style.setForeground(QColor(colour))
    if bold:
        style.setFontWeight(QFont.Weight.Bold)
    style.setFontItalic(italic)
    return style


class PythonHighlighter(QSyntaxHighlighter):
    """Colours readable on light and dark: keywords, the async pair, strings (f-string
    expressions as code), numbers, comments, names being defined, the blocking calls."""

    KEYWORD = _format("#7b61c4", bold=True)
    ASYNC = _format("#1f9e89", bold=True)
    BLOCKING = _format("#d1495b", bold=True)
    STRING = _format("#4c9a2a")
    INTERPOLATION = _format("#b26d00", bold=True)
    """The braces of an f-string's ``{...}``, and ``%s``-style placeholders."""
    NUMBER = _format("#d9822b")
    COMMENT = _format("#8a8f98", italic=True)
    DEFINED = _format("#3a7bd5", bold=True)
    """The name a ``def`` or ``class`` gives."""
    BUILTIN = _format("#3a7bd5")

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document.parent() if document.parent() is not None else None)
        self._lexer = PythonLexer()
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
            style = self._style(kind, value)
            if style is not None:
                self.setFormat(start, min(len(value), len(text) - start), style)
            elif kind in Name:
                names.append((start, start + len(value)))
        for match in BLOCKING_CALLS.finditer(text):
            # Only where the lexer saw code: "time.sleep" in a comment or a string stays as it is.
            if any(start <= match.start() < end for start, end in names):
                self.setFormat(match.start(), match.end() - match.start(), self.BLOCKING)
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

    def _style(self, kind: _TokenType, value: str) -> QTextCharFormat | None:
        if kind in Comment:
            return self.COMMENT
        if kind in String.Interpol:
            return self.INTERPOLATION
        if kind in String:
            return self.STRING
        if kind in Keyword or kind in Operator.Word:
            return self.ASYNC if value in ("async", "await") else self.KEYWORD
        if kind in Number:
            return self.NUMBER
        if kind in Name.Function or kind in Name.Class:
            return self.DEFINED
        if kind in Name.Builtin:
            return self.BUILTIN
        return None


def tokens(source: str) -> Iterator[tuple[int, int, _TokenType, str]]:
    """(line, column, token type, text) for every token of ``source``, lexed line by line as the
    highlighter does: what the editor colours, for tests and for anyone curious."""
    lexer = PythonLexer()
    stack = ROOT
    for number, line in enumerate(source.split("\n"), start=1):
        if len(line) > MAX_COLOURED_LINE:
            continue  # left uncoloured, as the highlighter leaves it
        found, stack = lex_line(lexer, line, stack)
        for column, kind, value in found:
            if column < len(line):
                yield number, column, kind, value
