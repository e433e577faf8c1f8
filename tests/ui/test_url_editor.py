"""The URL list: short lists are edited in the box; a paste too long to edit is held, shown in
part, and run whole; and the window stays alive through a huge paste and its run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from app.core.demo_server import DemoServer
from app.core.run import FetchMode, RequestState, Run, RunOutcome, RunSummary
from app.ui import settings
from app.ui.lab import create_window
from app.ui.main_window import MainWindow
from app.ui.widgets.url_editor import BIG_LIST_LINES, PREVIEW_LINES, UrlEditor
from tests.ui.conftest import TickProbe, next_emission, until


def editor(qtbot: Any, text: str = "") -> UrlEditor:
    widget = UrlEditor()
    qtbot.addWidget(widget)
    widget.set_text(text)
    widget.show()
    return widget


def paste(widget: UrlEditor, text: str) -> None:
    """What Ctrl+V does with ``text`` on the clipboard."""
    data = QMimeData()
    data.setText(text)
    widget.edit.insertFromMimeData(data)


def numbered(n: int, prefix: str = "http://127.0.0.1:1/") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_a_short_paste_goes_into_the_box_and_can_be_edited(qtbot: Any) -> None:
    widget = editor(qtbot, "http://a/")
    widget.edit.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(widget.changed):
        paste(widget, "\n" + "\n".join(numbered(10)))
    assert not widget.holding and widget.bar.isHidden() and not widget.edit.isReadOnly()
    assert widget.lines() == ["http://a/", *numbered(10)]


def test_a_long_paste_is_held_shown_in_part_and_run_whole(qtbot: Any) -> None:
    widget = editor(qtbot, "http://first/\nhttp://last/")
    cursor = widget.edit.textCursor()
    cursor.setPosition(len("http://first/\n"))  # between the two lines
    widget.edit.setTextCursor(cursor)
    pasted = numbered(BIG_LIST_LINES + 10)
    with qtbot.waitSignal(widget.changed):
        paste(widget, "\n".join(pasted) + "\n")
    assert widget.holding and widget.bar.isVisible() and widget.edit.isReadOnly()
    # Inserted where the cursor was, like any paste.
    assert widget.lines() == ["http://first/", *pasted, "http://last/"]
    shown = widget.edit.toPlainText().splitlines()
    assert shown[:PREVIEW_LINES] == widget.lines()[:PREVIEW_LINES]
    assert shown[-1] == f"# … and {len(widget.lines()) - PREVIEW_LINES:,} more lines, not shown here"
    assert len(shown) == PREVIEW_LINES + 1
    assert f"{len(widget.lines()):,} lines" in widget.bar_label.text()
    assert widget.text().splitlines() == widget.lines()


def test_undo_puts_back_the_list_from_before_the_paste(qtbot: Any) -> None:
    widget = editor(qtbot, "http://mine/")
    widget.edit.moveCursor(QTextCursor.MoveOperation.End)
    paste(widget, "\n" + "\n".join(numbered(BIG_LIST_LINES)))
    assert widget.undo_button.isVisible()
    with qtbot.waitSignal(widget.changed):
        widget.undo_button.click()
    assert not widget.holding and not widget.edit.isReadOnly() and widget.bar.isHidden()
    assert widget.lines() == ["http://mine/"]


def test_undo_after_pasting_over_a_selection_puts_back_what_was_selected(qtbot: Any) -> None:
    # Select all, paste: the most common way to paste a list. Undo must bring the old one back.
    widget = editor(qtbot, "http://mine/1\nhttp://mine/2")
    widget.edit.selectAll()
    paste(widget, "\n".join(numbered(BIG_LIST_LINES + 1)))
    assert widget.holding and widget.lines() == numbered(BIG_LIST_LINES + 1)
    assert widget.undo_button.isVisible()
    widget.undo_button.click()
    assert widget.lines() == ["http://mine/1", "http://mine/2"]


def test_long_lists_with_windows_or_old_mac_line_breaks_are_held_and_read_the_same(qtbot: Any) -> None:
    for newline in ("\r\n", "\r"):
        widget = editor(qtbot)
        paste(widget, newline.join(numbered(BIG_LIST_LINES + 1)))
        assert widget.holding, repr(newline)
        assert widget.lines() == numbered(BIG_LIST_LINES + 1)
        assert f"{BIG_LIST_LINES + 1:,} lines" in widget.bar_label.text()


def test_has_urls_reads_lines_as_run_does(qtbot: Any) -> None:
    widget = editor(qtbot)
    for text, expected in [
        ("# only a comment\n   \n", False),
        ("# a comment\x0bhttp://example.com/", True),  # a vertical tab breaks the line for Run too
        ("  # indented comment\r\n\thttp://a/", True),
        ("\u2028#x\u2029 #y", False),
    ]:
        widget.set_text(text)
        planned = Run(mode=FetchMode.ASYNC)
        list(planned.add_lines(text))
        assert widget.has_urls() is expected is (len(planned.records) > 0), repr(text)


def test_clear_empties_a_held_list_and_the_box_is_editable_again(qtbot: Any) -> None:
    widget = editor(qtbot)
    paste(widget, "\n".join(numbered(BIG_LIST_LINES + 1)))
    assert not widget.undo_button.isVisible()  # nothing to go back to: Clear says it all
    with qtbot.waitSignal(widget.changed):
        widget.clear_button.click()
    assert widget.lines() == [] and not widget.holding and not widget.edit.isReadOnly()
    assert not widget.has_urls()


def test_setting_a_long_text_holds_it_and_a_short_one_releases_it(qtbot: Any) -> None:
    widget = editor(qtbot)
    widget.set_text("\n".join(numbered(BIG_LIST_LINES + 1)))
    assert widget.holding and len(widget.lines()) == BIG_LIST_LINES + 1
    widget.set_text("# only a comment\n\nhttp://a/")
    assert not widget.holding and widget.has_urls()
    widget.set_text("# only a comment\n   \n")
    assert not widget.has_urls()


def test_a_long_list_is_remembered_beside_the_settings_and_reset_forgets_it(qtbot: Any, _fresh_settings: Path) -> None:
    long = "\n".join(numbered(20_000, "http://demo-server.looplab/delay/0?n="))
    assert len(long) > settings.LONG_LIST_CHARS
    settings.save(settings.Remembered(urls=long))
    settings.wait_until_written()  # written on a thread of its own
    side_file = Path(settings.open_settings().fileName()).with_name(settings.URLS_FILE)
    assert side_file.read_text(encoding="utf-8") == long
    assert not settings.open_settings().contains("urls")  # the INI file stays small
    assert settings.load().urls == long
    settings.save(settings.Remembered(urls="http://short/"))  # a short list goes back to the INI file
    assert not side_file.exists() and settings.load().urls == "http://short/"
    settings.save(settings.Remembered(urls=long))
    settings.clear()
    assert not side_file.exists() and settings.load().urls is None


def test_a_missing_long_list_file_gives_the_demo_urls_and_a_log_line(qtbot: Any, caplog: Any) -> None:
    settings.save(settings.Remembered(urls="\n".join(numbered(20_000))))
    settings.wait_until_written()
    Path(settings.open_settings().fileName()).with_name(settings.URLS_FILE).unlink()
    assert settings.load().urls is None
    assert "Could not read the remembered URL list" in caplog.text


def test_a_huge_paste_keeps_the_async_window_alive_and_every_line_runs(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    # Done-when, loosely (bench/paste_bench.py measures 200,000 lines against the exact goals):
    # the paste, checking the lines, filling the table and the run never stall the window.
    lines = [f"{demo_server.url}/status/200?n={i}" for i in range(20_000)]
    lines[7] = "not a url"
    lab.controls.concurrency_spin.setValue(100)
    probe = TickProbe()
    seen_checking: list[str] = []

    async def scenario() -> RunSummary:
        QApplication.clipboard().setText("\n".join(lines))
        lab.source.url_editor.set_text("")
        lab.source.url_edit.setFocus()
        probe.start()
        lab.source.url_edit.paste()
        assert lab.source.url_editor.holding
        lab.controller.records_changed.connect(lambda _rows: seen_checking.append(lab.report.headline.text()))
        summary = await next_emission(lab.run_finished, lab.controls.run_button.click, timeout=120)
        probe.stop()
        return summary

    summary = loop.run_until_complete(scenario())
    assert len(summary.records) == len(lines)
    assert summary.counts[RequestState.DONE] == len(lines) - 1
    assert summary.records[7].state is RequestState.FAILED and summary.records[7].url == "not a url"
    assert lab.results.results_model.rowCount() == len(lines)
    assert any(text.startswith("Checking the list:") for text in seen_checking)
    # Loose: a busy 2-core CI machine may stall now and then; a frozen window stalls for seconds.
    assert probe.longest_gap() < 0.4


def test_a_held_list_survives_a_restart(loop: qasync.QEventLoop, qtbot: Any, demo_server: DemoServer) -> None:
    first = create_window(demo_server)
    qtbot.addWidget(first)
    lines = [f"{demo_server.url}/get?n={i}" for i in range(BIG_LIST_LINES + 1)]
    first.source.url_editor.set_text("\n".join(lines))
    first.close()
    loop.run_until_complete(first.wait_closed())
    second = create_window(demo_server)
    qtbot.addWidget(second)
    try:
        assert second.source.url_editor.holding and second.source.url_editor.lines() == lines
    finally:
        second.close()
        loop.run_until_complete(second.wait_closed())


@pytest.mark.parametrize("when", ["checking", "fetching"])
def test_a_long_run_is_cancelled_at_once_without_freezing(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, when: str
) -> None:
    lab.source.url_editor.set_text("\n".join(f"{demo_server.url}/delay/5?n={i}" for i in range(200_000)))
    probe = TickProbe()

    async def scenario() -> RunSummary:
        lab.controls.run_button.click()
        run = lab.controller.active_run
        if when == "checking":
            await until(lambda: run.lines_checked > 0, what="checking has begun")
        else:
            await until(lambda: run.records.count_in(RequestState.RUNNING) > 0, timeout=30, what="fetching has begun")
        probe.start()
        started = time.perf_counter()
        summary = await next_emission(lab.run_finished, lab.controls.cancel_button.click)
        took = time.perf_counter() - started
        probe.stop()
        assert took < 1.0  # a slice, not the whole list
        return summary

    summary = loop.run_until_complete(scenario())
    assert summary.counts[RequestState.DONE] == 0
    assert summary.counts[RequestState.CANCELLED] == len(summary.records) > 0
    if when == "fetching":
        assert len(summary.records) == 200_000
    # Cancelling 199,900 waiting records one by one froze the window for 1.7 s; loose for CI.
    assert probe.longest_gap() < 0.4


def test_a_long_list_names_the_demo_server_by_placeholder_and_is_written_only_when_it_changes(qtbot: Any) -> None:
    server = "http://127.0.0.1:5555"
    long = "\n".join(f"{server}/get?n={i}" for i in range(20_000))
    settings.save(settings.Remembered(urls=long), demo_server_url=server)
    settings.wait_until_written()
    side_file = Path(settings.open_settings().fileName()).with_name(settings.URLS_FILE)
    assert side_file.read_text(encoding="utf-8") == long.replace(server, settings.DEMO_SERVER)
    first = side_file.stat()
    settings.save(settings.Remembered(urls=long, concurrency=7), demo_server_url=server)  # another setting changed
    settings.wait_until_written()
    again = side_file.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # not written again
    assert settings.load().concurrency == 7
    settings.save(settings.Remembered(urls=long + "\nhttp://one-more/"), demo_server_url=server)
    settings.wait_until_written()
    assert side_file.read_text(encoding="utf-8").endswith("\nhttp://one-more/")


def test_a_blocking_run_can_be_cancelled_while_its_long_list_is_checked(
    lab: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    # The window is alive while LoopLab checks the lines: Cancel works until the freeze begins.
    lab.source.url_editor.set_text("\n".join(f"{demo_server.url}/delay/1?n={i}" for i in range(200_000)))
    lab.controls.mode_toggle.setChecked(True)

    async def scenario() -> RunSummary:
        lab.controls.run_button.click()
        run = lab.controller.active_run
        await until(lambda: run.lines_checked > 0, what="checking has begun")
        assert run.mode is FetchMode.BLOCKING and lab.controls.cancel_button.isEnabled()
        return await next_emission(lab.run_finished, lab.controls.cancel_button.click)

    summary = loop.run_until_complete(scenario())
    assert summary.outcome is RunOutcome.CANCELLED
    assert summary.records.started_count() == 0  # nothing was fetched, nothing froze
    assert not lab.controls.cancel_button.isEnabled()
