"""Every action of the window, its shortcuts and its place in the menus, from one table.

:func:`action_table` lists them; :func:`build` makes the ``QAction`` objects (window actions, so
their shortcuts work with the menu bar hidden in presentation mode) and the menus; Help >
Keyboard shortcuts lists the same table (:func:`shortcut_rows`). A new action is one row here
and one handler in the window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from app.core.lessons import LESSONS
from app.i18n import _
from app.ui.exporting import FORMATS


@dataclass(frozen=True)
class ActionSpec:
    """One action: its name (also its objectName and its handler's key), words, keys and menu."""

    name: str
    text: str
    keys: tuple[str, ...] = ()
    menu: str = ""
    """"File", "Lab", "Lab/Lessons", "View", "Help", or "" for none (shown as :func:`menu_title` says)."""
    separator_before: bool = False
    checkable: bool = False


def lesson_action_name(lesson_id: str) -> str:
    """``lessonSleepAction``, ``lessonAsCompletedAction``."""
    return "lesson" + "".join(part.capitalize() for part in lesson_id.split("_")) + "Action"


def lesson_keys(number: int) -> tuple[str, ...]:
    """The keys that choose the lesson numbered ``number`` (from 1): Ctrl+1 to Ctrl+9, and none
    after the ninth (Ctrl+0 is Actual size, as in browsers and editors; Ctrl+L is the URL list);
    the list and Lab > Lessons reach every lesson."""
    return (f"Ctrl+{number}",) if 1 <= number <= 9 else ()


def export_action_name(kind: str) -> str:
    return f"export{kind.upper()}Action"


def _quit_keys() -> tuple[str, ...]:
    # Ctrl+Q everywhere, and the platform's own Quit key too, where it has one.
    platform = [k.toString() for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)]
    return tuple(dict.fromkeys(["Ctrl+Q", *platform]))


def menu_title(menu: str) -> str:
    """A menu's words (with its mnemonic) in the current language: "File" -> "&File"."""
    titles = {"File": _("&File"), "Lab": _("&Lab"), "Lessons": _("Lessons"), "View": _("&View"), "Help": _("&Help")}
    return titles.get(menu, menu)


def action_table() -> list[ActionSpec]:
    """Every action, in menu order."""
    return [
        ActionSpec("openCodeAction", _("&Open a .py file in the playground…"), ("Ctrl+O",), menu="File"),
        ActionSpec("saveCodeAction", _("&Save the code as .py…"), ("Ctrl+S",), menu="File"),
        ActionSpec("restoreDemoAction", _("Restore the demo URLs"), menu="File", separator_before=True),
        *(
            ActionSpec(
                export_action_name(f.kind), _("Export the last run as {format}…").format(format=_(f.words)), menu="File", separator_before=n == 0
            )
            for n, f in enumerate(FORMATS)
        ),
        ActionSpec("settingsAction", _("Settings…"), menu="File", separator_before=True),
        ActionSpec("resetAction", _("Reset to defaults…"), menu="File"),
        ActionSpec("quitAction", _("&Quit"), _quit_keys(), menu="File", separator_before=True),
        ActionSpec("runAction", _("Run"), ("Ctrl+Return", "Ctrl+Enter"), menu="Lab"),
        ActionSpec("flipAction", _("Switch blocking / async"), ("Ctrl+B",), menu="Lab"),
        ActionSpec("cancelAction", _("Cancel the run"), ("Esc",), menu="Lab"),
        # Ctrl+L, a browser's "go to the address": Ctrl+U deletes the line in a text box on
        # Linux desktops (KDE's and GNOME's key bindings), so there it would never reach the window.
        ActionSpec("urlsAction", _("Your URLs (no lesson)"), ("Ctrl+L",), menu="Lab", separator_before=True),
        *(
            ActionSpec(lesson_action_name(lesson.id), f"{n}. {lesson.title}", lesson_keys(n), menu="Lab/Lessons")
            for n, lesson in enumerate(LESSONS, start=1)
        ),
        ActionSpec("presentationAction", _("Presentation mode"), ("F11", "Ctrl+Shift+P"), menu="View", checkable=True),
        ActionSpec("xrayAction", _("Event-loop X-ray (tasks, awaited steps, the loop's lane)"), menu="View", checkable=True),
        # Ctrl+= too: the same key as Ctrl++ on keyboards whose plus needs Shift.
        ActionSpec("zoomInAction", _("Zoom in"), ("Ctrl++", "Ctrl+="), menu="View", separator_before=True),
        ActionSpec("zoomOutAction", _("Zoom out"), ("Ctrl+-",), menu="View"),
        ActionSpec("zoomResetAction", _("Actual size"), ("Ctrl+0",), menu="View"),
        ActionSpec("shortcutsAction", _("Help and keyboard shortcuts"), ("F1",), menu="Help"),
        ActionSpec("aboutAction", _("About LoopLab"), menu="Help"),
    ]


def build(window: QMainWindow, handlers: Mapping[str, Callable[[], object]]) -> dict[str, QAction]:
    """The window's actions, by name, each wired to ``handlers[name]``, and the menus that show them."""
    actions: dict[str, QAction] = {}
    menus: dict[str, QMenu] = {}
    for spec in action_table():
        action = QAction(spec.text, window)
        action.setObjectName(spec.name)
        action.setShortcuts([QKeySequence(k) for k in spec.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(spec.checkable)
        handler = handlers[spec.name]
        action.triggered.connect(lambda _checked=False, handler=handler: handler())
        window.addAction(action)  # works with the menu bar hidden too
        actions[spec.name] = action
        if spec.menu:
            top, _sep, sub = spec.menu.partition("/")
            if top not in menus:
                menus[top] = window.menuBar().addMenu(menu_title(top))
            if sub and spec.menu not in menus:
                menus[spec.menu] = menus[top].addMenu(menu_title(sub))
            menu = menus[spec.menu]
            if spec.separator_before:
                menu.addSeparator()
            menu.addAction(action)
    return actions


def shortcut_rows(actions: Mapping[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every action that has keys, as Help lists them."""
    rows = [
        (_(" or ").join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()), action.text().replace("&", ""))
        for action in actions.values()
        if action.shortcuts()
    ]
    rows += [(_("Tab / Shift+Tab"), _("Move between the controls")), ("+ / - / 0", _("Timeline: zoom in, zoom out, fit the run"))]
    rows.append((_("Tab / Shift+Tab in the code"), _("Indent / dedent (Esc first, or Ctrl+Tab: move on to the next control)")))
    rows.append((_("Up / Down"), _("Timeline: go through the requests, each with its details")))
    rows.append((_("Ctrl + mouse wheel"), _("Timeline: zoom around the pointer")))
    return rows
