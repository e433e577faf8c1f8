"""Small facts about one line of Python source, shared by the code view's highlighter and the
freeze watchdog's words for a line ("time.sleep(2)", not "time.sleep(2)  # Blocking")."""

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
