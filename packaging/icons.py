"""Renders LoopLab's icon, resources/looplab.svg, into what each installer needs.

    python packaging/icons.py build/icons

writes, from the one SVG (so the icons can never drift apart):

- ``hicolor/<N>x<N>/apps/looplab.png`` and ``hicolor/scalable/apps/looplab.svg``: the Linux
  desktop's icon theme layout, copied as is into the .deb's /usr/share/icons/hicolor;
- ``looplab.ico`` (Windows: the program, the installer and the shortcuts);
- ``looplab.icns`` (macOS: the .app and the .dmg).

Each size is rendered from the SVG by Qt (offscreen, no display needed) rather than scaled
down from a big bitmap, so the small sizes stay sharp. Pillow, from the ``package`` extra,
writes the .ico and .icns files.
"""

from __future__ import annotations

import os
import shutil
import sys
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import PIL.Image

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "looplab.svg"
ICON_NAME = "looplab"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(size: int) -> PIL.Image.Image:
    """The SVG rendered at ``size`` x ``size`` pixels, as a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise ValueError(f"{SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)  # transparent: the icon has rounded corners
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(BytesIO(bytes(buffer.data()))).convert("RGBA")
    # A render that silently failed is one flat colour: the middle must be drawn, the corner not.
    if picture.getpixel((size // 2, size // 2))[3] == 0 or picture.getpixel((0, 0))[3] != 0:
        raise ValueError(f"the {size}px render of {SVG} looks wrong")
    return picture


def make_icons(out: Path) -> list[Path]:
    """Writes every icon file into ``out``; returns their paths."""
    from PySide6.QtGui import QGuiApplication

    # QPainter needs a GUI application; offscreen works with or without a display.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES))
    images = {size: render(size) for size in sizes}
    written = []
    for size in PNG_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(path)
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    written.append(scalable)

    largest = images[max(ICO_SIZES)]
    ico = out / f"{ICON_NAME}.ico"
    largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=[images[s] for s in ICO_SIZES])
    icns = out / f"{ICON_NAME}.icns"
    images[max(ICNS_SIZES)].save(icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES])
    written += [ico, icns]
    del app  # only after the last image that needed it
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "build" / "icons"
    for path in make_icons(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
