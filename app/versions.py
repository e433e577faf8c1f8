"""The versions of LoopLab and of what it stands on: for Help > About and ``looplab doctor``."""

from __future__ import annotations

from app import __version__


def versions() -> list[tuple[str, str]]:
    """(name, version) pairs; raises ImportError when Qt itself cannot be loaded."""
    # Imported here: Help > About's module is part of the window, which paints before these load.
    import platform
    from importlib import metadata

    import aiohttp
    import PySide6
    from PySide6.QtCore import qVersion

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:  # e.g. a bundle that lost the package's metadata
            return "unknown"

    return [
        ("LoopLab", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("qasync", installed("qasync")),
        ("aiohttp", aiohttp.__version__),
        ("requests", installed("requests")),  # not imported: it loads with the blocking mode
    ]
