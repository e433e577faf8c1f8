"""Loads LoopLab's resources (icons, style sheet) by short name.

The files live in the repository's top-level ``resources/`` folder and ship as the package
``app._resources`` (see pyproject.toml), so ``importlib.resources`` finds them the same way from a
checkout (editable install), an installed wheel and a frozen bundle.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(name: str) -> Path:
    """The file system path of resource ``name``, e.g. ``path("looplab.svg")``."""
    resource = files("app._resources").joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"LoopLab resource not found: {name}")
    return Path(str(resource))


def read_text(name: str) -> str:
    """The text of resource ``name`` (UTF-8)."""
    return path(name).read_text(encoding="utf-8")
