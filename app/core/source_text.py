"""Small facts about one line of Python source, shared by the code editor (where a comment
starts, how to indent the next line) and the freeze watchdog's words for a line
("time.sleep(2)", not "time.sleep(2)  # Blocking")."""

from __future__ import annotations


def comment_start(line: str) -> int | None:
    """Where a ``#`` comment starts in ``line``, ignoring ``#`` inside a string; None if none."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return None


def without_comment(line: str) -> str:
    """``line`` with its comment (if any) cut off."""
    start = comment_start(line)
    return line if start is None else line[:start]


INDENT = "    "
"""One level of indentation, as PEP 8 and every lesson have it."""
_DEDENT_AFTER = ("return", "pass", "break", "continue", "raise")


def indent_after(line: str) -> str:
    """The indentation a new line typed after ``line`` starts with: the same as ``line``'s, one
    level more after a colon (``async def main():``, ``for x in y:``), one less after a
    statement that ends its block (``return``, ``pass``, ``break``, ``continue``, ``raise``)."""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    code = without_comment(line).rstrip()
    if code.endswith(":"):
        return indent + INDENT
    words = code.split()
    if words and words[0] in _DEDENT_AFTER and (len(words) == 1 or words[0] in ("return", "raise")):
        return indent[: max(0, len(indent) - len(INDENT))]
    return indent
