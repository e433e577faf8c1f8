"""Checks that a screenshot shows a window, not a blank or black frame.

    python packaging/linux/check_screenshot.py build/smoke/installed-xcb.png

Exits 1 unless the PNG is at least 600 x 400 pixels and has more than 50 distinct colours (a
blank, black or failed render has one or two; the lab has text, a ball, a meter and a table).
"""

from __future__ import annotations

import os
import sys

MIN_SIZE = (600, 400)
MIN_COLORS = 50


def distinct_colors(path: str, step: int = 4) -> tuple[int, int, int]:
    """(width, height, distinct colours on a grid of every ``step``-th pixel)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage

    image = QImage(path)
    if image.isNull():
        raise SystemExit(f"{path}: not a readable image")
    colors = {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
    return image.width(), image.height(), len(colors)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    width, height, colors = distinct_colors(argv[0])
    if width < MIN_SIZE[0] or height < MIN_SIZE[1] or colors <= MIN_COLORS:
        print(f"{argv[0]}: {width}x{height}, {colors} colours: looks blank", file=sys.stderr)
        return 1
    print(f"{argv[0]}: {width}x{height}, {colors} colours: shows a window")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
