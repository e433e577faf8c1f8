"""The names LoopLab is known by, defined once: Qt's application and organisation names (which
also name the settings folder and file) and the desktop entry's id (also the icon's name)."""

from __future__ import annotations

APP_NAME = "LoopLab"
ORG_NAME = "LoopLab"
DESKTOP_ID = "looplab"
"""resources/looplab.desktop, and the name docks and task bars look the icon up by."""
