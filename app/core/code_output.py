"""What a lesson's code prints, kept for the window to show under the code.

Several lessons make their point in what they print ("download: finally ran", the order
``as_completed`` hands back results), and the playground's template prints its statuses. In the
lab, the code's ``print`` is :meth:`CodeOutput.print` (``app.core.lessons.compile_main`` puts it
in the module's globals, so the file's text stays exactly what runs with ``python lesson.py``).

Bounded, whatever the code does: the last :data:`MAX_LINES` lines are kept, each cut at
:data:`MAX_LINE_CHARS`; the window takes what is new a batch at a time (:meth:`CodeOutput.take`),
told how many lines it missed, so a ``while True: print(...)`` costs the window no more than a
screenful. Plain text, always: whatever the code prints is shown as it is, never as markup.

Only ``print`` in the code's own module is caught (to standard output or standard error):
``sys.stdout.write`` and libraries' prints go where they always go. Qt-free.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_LINES = 500
"""Lines kept: the latest ones (a class reads the end of what was printed)."""
MAX_LINE_CHARS = 1000
"""A longer line is cut here, with "…" (so is the message of an error in the code, app.core.user_code)."""
CUT = "…"


@dataclass(frozen=True)
class Printed:
    """What a run printed since the window last asked."""

    lines: tuple[str, ...]
    missed: int = 0
    """Lines printed meanwhile that are not among ``lines`` (a flood: only the last ones are kept)."""


class CodeOutput:
    """The lines a run's code printed, bounded (see the module's docstring)."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._partial = ""  # printed with end="" so far: not a line yet
        self._total = 0  # lines ever completed
        self._taken = 0  # of which the window has had (or missed) this many

    def print(self, *objects: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False) -> None:
        """``print`` as the code calls it; to another file than standard output or error, it is
        Python's own ``print``."""
        if file is not None and file is not sys.stdout and file is not sys.stderr:
            print(*objects, sep=sep, end=end, file=file, flush=flush)
            return
        self.write((" " if sep is None else sep).join(str(o) for o in objects) + ("\n" if end is None else end))

    def write(self, text: str) -> None:
        """Adds ``text``: its complete lines are kept, the rest waits for its line end."""
        if "\n" not in text:
            if len(self._partial) <= MAX_LINE_CHARS:  # past that it is cut anyway
                self._partial += text[: MAX_LINE_CHARS + 1]
            return
        first, *middle, last = text.split("\n")
        self._add(self._partial + first[: MAX_LINE_CHARS + 1])
        # A flood in one call: only the last MAX_LINES lines can be kept, the others are counted.
        skipped = max(0, len(middle) - MAX_LINES)
        self._total += skipped
        for line in middle[skipped:]:
            self._add(line)
        self._partial = last[: MAX_LINE_CHARS + 1]

    def finish(self) -> None:
        """The code has ended: what it printed without a line end is a line too."""
        if self._partial:
            self._add(self._partial)
            self._partial = ""

    def take(self) -> Printed:
        """The lines completed since the last take (at most :data:`MAX_LINES`), and how many
        were missed in between."""
        new = self._total - self._taken
        kept = min(new, len(self._lines))
        self._taken = self._total
        return Printed(tuple(self._lines)[len(self._lines) - kept :] if kept else (), new - kept)

    def text(self) -> str:
        """The lines kept, as one text."""
        return "\n".join(self._lines)

    def _add(self, line: str) -> None:
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + CUT
        self._lines.append(line)
        self._total += 1
