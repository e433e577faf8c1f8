"""Text from outside is never markup: every surface that shows a URL, a reason phrase, a Location
header or an error message shows it literally, and an ``<img>`` in it is never fetched.

Each test reads what the surface really displays (the label's own text control selects all and
reports the text it shows), so a surface that renders markup fails (``<b>X</b>`` shows as "X"),
and so does one that escapes where it must not (it would show ``&lt;b&gt;``). The markup carries
an ``<img>`` of a local file, which Qt does load when it renders rich text (it never fetches
``http://`` images): the file's access time tells whether any surface loaded it.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QHelpEvent, QImage, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QMessageBox, QToolTip, QWidget

from app.core.run import FetchMode, RequestRecord, RequestState, RunOutcome, RunSummary
from app.ui import plain_text
from app.ui.main_window import MainWindow
from app.ui.widgets.error_banner import ErrorBanner
from app.ui.widgets.history import HistoryModel, HistoryView
from app.ui.widgets.results_table import ERROR, STATUS, URL
from app.ui.widgets.run_report import RunReport
from tests.ui.conftest import export_actions, next_emission


class ImageProbe:
    """A picture on disk whose every read shows in its access time (what an <img> would load)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "probe.png"
        picture = QImage(8, 8, QImage.Format.Format_RGB32)
        picture.fill(0xFF0000)
        picture.save(str(self.path))
        self.arm()

    def arm(self) -> None:
        # An access time older than the modification time: the next read updates it, even on a
        # file system mounted "relatime" (the default).
        status = self.path.stat()
        os.utime(self.path, ns=(status.st_mtime_ns - 10**10, status.st_mtime_ns))
        self._armed = self.path.stat().st_atime_ns

    @property
    def was_read(self) -> bool:
        return self.path.stat().st_atime_ns != self._armed


@pytest.fixture
def image_probe(tmp_path: Path) -> ImageProbe:
    probe = ImageProbe(tmp_path)
    probe.path.read_bytes()
    if not probe.was_read:
        pytest.skip("this file system does not record reads (noatime): the <img> check cannot be made")
    rich = QLabel(f'<img src="file://{probe.path}">')  # and Qt does load such a picture in rich text
    probe.arm()
    rich.grab()
    assert probe.was_read
    probe.arm()
    return probe


class MarkupServer:
    """A 127.0.0.1 server whose answers carry markup: bold text and a local picture."""

    def __init__(self, picture: Path) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/reason"):
                    self.send_response(500, outer.markup)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/location"):
                    self.send_response(302)
                    # Not even a URL: the message quotes it as it came, markup and all.
                    self.send_header("Location", f"http://[{outer.markup}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # What a hostile page would send: bold text, and a picture (a local one: Qt would load it).
        self.markup = f'<b>X</b><img src="file://{picture}">'
        self._thread = threading.Thread(target=self._server.serve_forever, name="markup-server")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def markup_server(qapp: QApplication, image_probe: ImageProbe) -> Iterator[MarkupServer]:
    server = MarkupServer(image_probe.path)
    yield server
    server.close()


def shown(label: QLabel) -> str:
    """The text a label really displays: its own text control selects all of it (Ctrl+A)."""
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse)
    QApplication.sendEvent(label, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier, "a"))
    label.grab()  # drawn, as a student would see it (a picture in it would be loaded now)
    return label.selectedText().replace("\u2029", "\n")  # rich text reports line breaks as U+2029


def tooltip_shown(widget: QWidget, pos: QPoint) -> str:
    """Hovers ``pos`` of ``widget`` and returns the text its tooltip displays."""
    QToolTip.hideText()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos)))
    tips = [w for w in QApplication.topLevelWidgets() if w.objectName() == "qtooltip_label" and w.isVisible()]
    assert tips, "no tooltip was shown"
    text = shown(tips[0])
    QToolTip.hideText()
    return text


def run_markup(lab: MainWindow, loop: qasync.QEventLoop, server: MarkupServer) -> RunSummary:
    """One async run of a URL, a reason phrase and a Location header that carry markup."""
    lab.source.url_edit.setPlainText(f"{server.url}/ok?<b>X</b>\n{server.url}/reason\n{server.url}/location")
    return loop.run_until_complete(next_emission(lab.run_finished, lab.controls.run_button.click, 30))


def test_the_tooltip_helper_round_trips_any_text(qapp: QApplication) -> None:
    for text in ["plain", "a <b>X</b> & <img src='x'>", "two\nlines  and   spaces", "&amp; is not &", "<qt>whole</qt>"]:
        label = QLabel(plain_text.tooltip(text))  # Qt's own guess, as a tooltip makes it
        assert shown(label) == text
    assert plain_text.tooltip("") == ""  # still "no tooltip"


def test_the_results_table_shows_urls_reasons_and_locations_literally(
    lab: MainWindow, loop: qasync.QEventLoop, markup_server: MarkupServer
, image_probe: ImageProbe) -> None:
    summary = run_markup(lab, loop, markup_server)
    ok, reason, location = summary.records
    assert ok.state is RequestState.DONE and "<b>X</b>" in ok.url
    assert reason.status == 500 and reason.reason == markup_server.markup
    assert location.state is RequestState.FAILED and "<b>X</b>" in location.error
    model, table = lab.results.results_model, lab.results.results_table
    lab.results.setCurrentWidget(table)

    # Item views draw their display text as it is: the model must hand it over unescaped.
    assert model.data(model.index(0, URL)) == ok.url
    assert model.data(model.index(1, STATUS)) == f"500 {markup_server.markup}"
    assert model.data(model.index(1, ERROR)) == reason.error and markup_server.markup in reason.error
    assert model.data(model.index(2, ERROR)) == location.error

    # Tooltips guess: the whole URL and reason must come out literally.
    for row, record in enumerate(summary.records):
        table.scrollTo(model.index(row, ERROR), QAbstractItemView.ScrollHint.EnsureVisible)
        pos = table.visualRect(model.index(row, ERROR)).center()
        expected = f"{record.url}\n{record.error}" if record.error else record.url
        assert tooltip_shown(table.viewport(), pos) == expected
    assert not image_probe.was_read


def test_the_timeline_tooltip_shows_urls_and_reasons_literally(
    lab: MainWindow, loop: qasync.QEventLoop, markup_server: MarkupServer
, image_probe: ImageProbe) -> None:
    summary = run_markup(lab, loop, markup_server)
    timeline = lab.results.timeline
    lab.results.setCurrentWidget(lab.results.timeline_panel)
    for row, record in enumerate(summary.records):
        lanes = len(timeline.scene.lanes)  # the X-ray's lanes come first
        pos = QPoint(timeline.scene.gutter + 4, timeline.scene.axis_height + (lanes + row) * timeline.row_height() + timeline.row_height() // 2)
        assert timeline.record_at(pos).index == record.index
        text = tooltip_shown(timeline.viewport(), pos)
        assert text.splitlines()[0] == record.url
        if record.status == 500:
            assert f"HTTP 500 {markup_server.markup}" in text
        if record.error:
            assert record.error in text.splitlines()
    assert not image_probe.was_read


def test_the_history_tooltip_shows_a_runs_error_literally(qtbot, markup_server: MarkupServer, image_probe: ImageProbe) -> None:  # type: ignore[no-untyped-def]
    model = HistoryModel()
    view = HistoryView(model)
    qtbot.addWidget(view)
    error = f"Connection to 127.0.0.1 broke off {markup_server.markup}"
    model.add(summary_of([], outcome=RunOutcome.FAILED, error=error))
    view.resize(600, 200)
    view.show()
    pos = view.visualRect(model.index(0, 0)).center()
    assert tooltip_shown(view.viewport(), pos) == f"This run was failed: {error}"
    assert not image_probe.was_read


def test_the_error_banner_shows_an_error_message_literally(qtbot, markup_server: MarkupServer, image_probe: ImageProbe) -> None:  # type: ignore[no-untyped-def]
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error(f"Unexpected error: ValueError: {markup_server.markup}", "Traceback ...")
    assert shown(banner.message) == f"Unexpected error: ValueError: {markup_server.markup}"
    assert not image_probe.was_read


def test_the_error_banner_shows_a_failed_records_message_literally(
    lab: MainWindow, loop: qasync.QEventLoop, markup_server: MarkupServer
, image_probe: ImageProbe) -> None:
    # What the controller does when a request fails in a way nobody foresaw.
    lab.reporter.report(f"1 request(s) failed with an unexpected error, first: {markup_server.markup}")
    assert shown(lab.banner.message) == f"1 request(s) failed with an unexpected error, first: {markup_server.markup}"
    assert not image_probe.was_read


def test_the_run_report_shows_a_failed_runs_error_literally(qtbot, markup_server: MarkupServer, image_probe: ImageProbe) -> None:  # type: ignore[no-untyped-def]
    report = RunReport()
    qtbot.addWidget(report)
    error = f"OSError: {markup_server.markup}"
    report.show_summary(summary_of([], outcome=RunOutcome.FAILED, error=error))
    assert f"({error})" in shown(report.details)
    report.show_lesson(summary_of([], outcome=RunOutcome.FAILED, error=error), "A lesson", None)
    assert shown(report.details).endswith(f": {error}")
    assert not image_probe.was_read


def test_an_export_problem_shows_the_file_name_literally(lab: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    run_markup_free(lab, loop)
    name = "<b>X.csv"  # a file name cannot hold the / of </b>
    lab.exporter.ask_save_path = lambda *_args: str(tmp_path / "no-such-folder" / name)
    export_actions(lab)["csv"].trigger()
    box = lab.findChild(QMessageBox, "exportProblem")
    assert box is not None
    text = shown(box.findChild(QLabel, "qt_msgbox_label"))
    assert text.startswith(f"Could not save {name}:")
    box.close()


def test_asking_to_replace_a_file_shows_its_name_literally(lab: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    run_markup_free(lab, loop)
    existing = tmp_path / "<b>X.csv"
    existing.write_text("mine", encoding="utf-8")
    lab.exporter.ask_save_path = lambda *_args: str(existing.with_suffix(""))  # LoopLab adds .csv
    asked: list[str] = []

    def answer_no() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        asked.append(shown(box.findChild(QLabel, "qt_msgbox_label")))
        box.button(QMessageBox.StandardButton.No).click()

    # The save dialog asked about the name without .csv; the name with it is LoopLab's to ask about.
    QTimer.singleShot(0, answer_no)
    export_actions(lab)["csv"].trigger()
    assert asked == [f"{existing.name} already exists in {existing.parent}. Replace it?"]
    assert existing.read_text(encoding="utf-8") == "mine"


def test_the_status_bar_shows_a_saved_paths_name_as_written(lab: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    run_markup_free(lab, loop)
    target = tmp_path / "<b>X.csv"
    lab.exporter.ask_save_path = lambda *_args: str(target)
    export_actions(lab)["csv"].trigger()
    # The status bar paints its message as plain text: it must get the name unescaped.
    assert lab.statusBar().currentMessage().endswith(f"as {target}")
    assert target.exists()


def test_every_label_in_the_window_is_plain_text(lab: MainWindow, loop: qasync.QEventLoop, markup_server: MarkupServer) -> None:
    # A net under the tests above: a label added later that forgets plain_text fails here.
    run_markup(lab, loop, markup_server)
    lab.results.history_view.choose([0])
    rich = [
        label.objectName() or label.text()[:40]
        for label in lab.findChildren(QLabel)
        if label.textFormat() != Qt.TextFormat.PlainText and label.text()
    ]
    assert rich == []


# --- helpers -----------------------------------------------------------------------------------


def run_markup_free(lab: MainWindow, loop: qasync.QEventLoop) -> None:
    """A quick run, so that there is something to export."""
    lab.source.url_edit.setPlainText(f"{lab.server.url}/get")
    summary = loop.run_until_complete(next_emission(lab.run_finished, lab.controls.run_button.click, 30))
    assert summary.outcome is RunOutcome.COMPLETED


def summary_of(records: list[RequestRecord], *, outcome: RunOutcome, error: str) -> RunSummary:
    return RunSummary(
        run_id=1,
        mode=FetchMode.ASYNC,
        records=tuple(records),
        outcome=outcome,
        wall_time=1.0,
        request_time_sum=1.0,
        longest_freeze=0.0,
        concurrency=1,
        error=error,
    )

