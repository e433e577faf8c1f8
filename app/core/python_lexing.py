"""Python, lexed one line at a time by Pygments' ``PythonLexer``, for the code editor's colours.

Regular expressions per line cannot know that line 5 is inside a triple-quoted string begun on
line 3, that ``{SERVER}`` inside an f-string is code, or that ``#`` inside a string starts no
comment. A lexer can, if it is told where the previous line left it: as Jupyter's Qt console
does, each line is lexed from the state stack the line before ended in (:func:`lex_line`), and
the editor (:mod:`app.ui.widgets.highlighter`) keeps that stack as the line's state.

Qt-free, so the start-up thread can load it (``app.ui.startup``): Pygments builds the lexer's
rules the first time one is made, about 30 ms here (:func:`python_lexer`), which is better
spent there than before the window's first paint or in the click that first shows the code.
"""

from __future__ import annotations

from collections.abc import Iterator

from pygments.lexer import RegexLexer
from pygments.lexers.python import PythonLexer
from pygments.token import Error, Whitespace, _TokenType

Token = tuple[int, _TokenType, str]
"""(position in the line, Pygments token type, text)."""
Stack = tuple[str, ...]
"""The lexer's state stack where a line ends: ``("root",)`` outside anything open."""
ROOT: Stack = ("root",)
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


def python_lexer() -> RegexLexer:
    """A new Python lexer. The first one made in the process builds Pygments' rules for all of them."""
    return PythonLexer()


def tokens(source: str) -> Iterator[tuple[int, int, _TokenType, str]]:
    """(line, column, token type, text) for every token of ``source``, lexed line by line as the
    highlighter does: what the editor colours, for tests and for anyone curious."""
    lexer = python_lexer()
    stack = ROOT
    for number, line in enumerate(source.split("\n"), start=1):
        if len(line) > MAX_COLOURED_LINE:
            continue  # left uncoloured, as the highlighter leaves it
        found, stack = lex_line(lexer, line, stack)
        for column, kind, value in found:
            if column < len(line):
                yield number, column, kind, value
