"""Exporting the last run: one registry of formats, and the save dialog's whole flow.

:data:`FORMATS` is the one list of export formats: the File menu, the save dialog's filter, the
suffix check and the writing all come from it, so adding a format touches one place. HAR and
CSV are written by ``app.core.export``, the trace (Chrome's Trace Event Format, for Perfetto) by
``app.core.trace_export``; the PNG is the timeline, drawn here as the screen draws it.

Files are never half-written and never replaced without asking (``app.core.export.write_new``);
a write error becomes a message box that says what to try.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core import trace_export
from app.core.run import RunSummary
from app.ui import plain_text
from app.ui.widgets.history import run_title
from app.ui.widgets.timeline import TimelineLegend, TimelineWidget

log = logging.getLogger(__name__)

AskSavePath = Callable[[str, str, str], "str | None"]
"""(dialog title, suggested path, file filter) -> the chosen path, or None if cancelled."""


@dataclass(frozen=True)
class ExportFormat:
    """One way to write a run out."""

    kind: str
    """Also the file name's suffix, without the dot."""
    words: str
    """How the File menu and the dialog name it."""
    file_filter: str
    render: Callable[[RunSummary, QWidget], bytes]
    """The file's bytes; the widget lends its font and palette (for pictures)."""


def _png(summary: RunSummary, look: QWidget) -> bytes:
    return png_bytes(timeline_picture(summary, look.font(), look.palette()))


# app.core.export is imported where it is used: it needs app.core.fetch (the headers a request
# sends), which loads after the window's first paint (app.ui.startup), and the File menu is
# built before it from FORMATS.


def _har(summary: RunSummary, _look: QWidget) -> bytes:
    from app.core import export

    return export.har_bytes(summary)


def _csv(summary: RunSummary, _look: QWidget) -> bytes:
    from app.core import export

    return export.csv_bytes(summary)


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("har", "HAR (for a browser's devtools)", "HAR files (*.har)", _har),
    ExportFormat("csv", "CSV (for a spreadsheet)", "CSV files (*.csv)", _csv),
    ExportFormat("png", "timeline picture (PNG)", "PNG images (*.png)", _png),
    ExportFormat(
        "json",
        "Trace (Perfetto, chrome://tracing)",
        "Trace files (*.json)",
        lambda summary, _look: trace_export.trace_bytes(summary),
    ),
)


def format_of(path: Path) -> ExportFormat:
    """The format a file name asks for, or ValueError naming the ones that work."""
    suffix = path.suffix.lower().lstrip(".")
    for found in FORMATS:
        if found.kind == suffix:
            return found
    names = ", ".join(f".{f.kind}" for f in FORMATS)
    raise ValueError(f"Cannot export to '{path.name}': the name must end in {names}")


def timeline_picture(summary: RunSummary, font: QFont, palette: QPalette, width: int = 1600) -> QImage:
    """The run's timeline with its freeze bands, a title and the legend, as one image."""
    drawer = TimelineWidget()  # never shown: it only lends its painting
    legend = TimelineLegend()
    try:
        for widget in (drawer, legend):
            widget.setFont(font)
            widget.setPalette(palette)
        drawer.show_summary(summary)
        legend.setFixedWidth(width - 16)
        legend.adjustSize()
        legend_image = legend.grab().toImage()
        metrics = drawer.fontMetrics()
        title_height = metrics.height() + 16
        top = title_height + legend_image.height() + 8
        # One image, painted straight into: a 1000-row run must not cost two big copies.
        picture = QImage(width, top + drawer.scene.export_height(), QImage.Format.Format_ARGB32)
        picture.fill(palette.base().color())
        painter = QPainter(picture)
        try:
            painter.setFont(font)
            painter.setPen(QColor(palette.text().color()))
            painter.drawText(12, 8 + metrics.ascent(), f"LoopLab · {run_title(summary)}")
            painter.drawImage(8, title_height, legend_image)
            painter.translate(0, top)
            drawer.scene.paint_export(painter, width, font, palette)
        finally:
            painter.end()
    finally:
        drawer.deleteLater()
        legend.deleteLater()
    return picture


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the picture as PNG")
    buffer.close()
    return bytes(data.data())


class Exporter(QObject):
    """Writes the last run out, asking where (and before replacing a file) the way a person expects."""

    def __init__(self, window: QWidget, last_run: Callable[[], RunSummary | None], show_status: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window = window
        self._last_run = last_run
        self._show_status = show_status
        self.ask_save_path: AskSavePath = self._ask_save_path_with_dialog
        """Replaced in tests and scripts; by default a save dialog that asks before overwriting."""
        self.confirm_replace: Callable[[Path], bool] = self._confirm_replace_with_dialog

    def export(self, kind: str) -> None:
        """File > Export: asks where, writes the last run as ``kind``, says where it went."""
        summary = self._last_run()
        if summary is None:
            return
        chosen_format = next(f for f in FORMATS if f.kind == kind)
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        suggested = str(Path(folder) / f"looplab-run-{summary.run_id}-{summary.mode.value}.{kind}")
        chosen = self.ask_save_path(f"Export run {summary.run_id} as {chosen_format.words}", suggested, chosen_format.file_filter)
        if not chosen:
            return
        path, overwrite = Path(chosen), True  # the save dialog has already asked about replacing
        if path.suffix.lower() != f".{kind}":
            path, overwrite = path.with_name(f"{path.name}.{kind}"), False  # a name it never asked about
        try:
            # The run named in the dialog, even if another one finished while it was open.
            try:
                self.export_last_run(path, overwrite=overwrite, summary=summary)
            except FileExistsError:
                if not self.confirm_replace(path):
                    return
                self.export_last_run(path, overwrite=True, summary=summary)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_problem(f"Could not save {path.name}: {reason}.", str(path))
            return
        self._show_status(f"Saved run {summary.run_id} as {path}")

    def export_last_run(self, path: str | Path, *, overwrite: bool = False, summary: RunSummary | None = None) -> Path:
        """Writes the last finished run to ``path``, in the format its suffix names.

        Never replaces an existing file unless ``overwrite`` (FileExistsError); raises
        ValueError for an unknown suffix or when no run has finished yet, and OSError when the
        file cannot be written (nothing half-written is left behind).
        """
        path = Path(path)
        chosen_format = format_of(path)
        summary = summary or self._last_run()
        if summary is None:
            raise ValueError("There is no finished run to export yet: press Run first.")
        from app.core import export

        export.write_new(path, chosen_format.render(summary, self._window), overwrite=overwrite)
        log.info("Exported run %d to %s", summary.run_id, path)
        return path

    def _ask_save_path_with_dialog(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _selected = QFileDialog.getSaveFileName(self._window, title, suggested, file_filter)
        return path or None

    def _confirm_replace_with_dialog(self, path: Path) -> bool:
        return plain_text.ask(self._window, "Replace the file?", f"{path.name} already exists in {path.parent}. Replace it?")

    def _show_problem(self, text: str, path: str) -> None:
        log.warning("Export failed: %s (%s)", text, path)
        box = plain_text.message_box(
            self._window,
            QMessageBox.Icon.Warning,
            "Export failed",
            text,
            "Choose another folder (for example Documents) or free some space, then try again.",
        )
        box.setObjectName("exportProblem")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, and the event loop (the heartbeat, a run) goes on
