"""File > Open a .py file (into the playground) and File > Save the code as .py: the dialogs' flow.

The reading and writing are ``app.core.user_code``'s (UTF-8, at most 1 MB, written whole or not
at all); here are the dialogs and what the person is told. :meth:`CodeFiles.open_path` and
:meth:`CodeFiles.save_path` do the work without a dialog (tests and scripts call them); a file
that cannot be opened or saved gets a message box (``codeFileProblem``) that says why, opened
window-modal without blocking (the heartbeat, a run, go on), and the lab goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.user_code import CodeFileError, read_code_file, write_code_file
from app.i18n import N_, _
from app.ui import plain_text
from app.ui.panels.source import SourcePanel

log = logging.getLogger(__name__)

PY_FILTER = N_("Python files (*.py)")
"""Shown as ``_(PY_FILTER)``."""


class CodeFiles(QObject):
    """Opens .py files into the playground and saves the code shown as .py."""

    def __init__(self, window: QWidget, source: SourcePanel, show_status: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window = window
        self._source = source
        self._show_status = show_status
        self._folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())

    def open_file(self) -> None:
        """File > Open: asks which .py file, then :meth:`open_path`."""
        path, _selected = QFileDialog.getOpenFileName(self._window, _("Open a .py file in the playground"), self._folder, _(PY_FILTER))
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Puts the file's code in the playground; False (and a message saying why) when it cannot."""
        path = Path(path)
        try:
            code = read_code_file(path)
        except CodeFileError as problem:
            self._show_problem(_("Could not open the file"), str(problem), path)
            return False
        self._folder = str(path.parent)
        self._source.open_code(code)
        self._show_status(_("Opened {path} in the playground: press Run to run it.").format(path=path))
        log.info("Opened %s in the playground", path)
        return True

    def save_file(self) -> None:
        """File > Save as .py: asks where (the dialog asks before replacing), then :meth:`save_path`."""
        suggested = Path(self._folder) / f"{self._suggested_name()}.py"
        path, _selected = QFileDialog.getSaveFileName(self._window, _("Save the code as .py"), str(suggested), _(PY_FILTER))
        if path:
            self.save_path(path, overwrite=Path(path).suffix.lower() == ".py")

    def save_path(self, path: str | Path, *, overwrite: bool = True) -> Path | None:
        """Writes exactly the code in the editor to ``path`` (".py" added if the name lacks it,
        and then never over an existing file); None (and a message) when it cannot."""
        path = Path(path)
        if path.suffix.lower() != ".py":
            path, overwrite = path.with_name(f"{path.name}.py"), False  # a name nobody was asked about
        code = self._source.lesson_panel.code_view.toPlainText()
        try:
            if not code:
                raise CodeFileError(_("There is no code to save: choose a lesson or the playground first."))
            write_code_file(path, code, overwrite=overwrite)
        except CodeFileError as problem:
            self._show_problem(_("Could not save the code"), str(problem), path)
            return None
        self._folder = str(path.parent)
        self._show_status(_("Saved the code as {path}").format(path=path))
        log.info("Saved the code as %s", path)
        return path

    def _suggested_name(self) -> str:
        lesson_id = self._source.lesson_panel.lesson_id
        return f"looplab-{lesson_id}" if lesson_id else "looplab"

    def _show_problem(self, title: str, text: str, path: Path) -> None:
        log.warning("%s: %s (%s)", title, text, path)
        box = plain_text.message_box(self._window, QMessageBox.Icon.Warning, title, text)
        box.setObjectName("codeFileProblem")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, and the event loop (the heartbeat, a run) goes on
