"""IT's defaults file at work in the window: a new user starts with the school's URL list and in
presentation mode; what a user changed wins, what they kept follows the file; a broken file
changes nothing but a warning in the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtGui import QAction

from app.core.demo_server import DemoServer, demo_urls
from app.ui import settings
from app.ui.main_window import MainWindow
from tests.ui.conftest import quit_lab

SCHOOL = """\
[lab]
urls =
    https://example.org/
    http://demo-server.looplab/delay/1
presentation = true
language = de
"""


@pytest.fixture
def defaults_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str | bytes], Path]:
    """Writes "the computer's" defaults file (LOOPLAB_DEFAULTS points at it)."""
    path = tmp_path / "site" / "defaults.ini"
    path.parent.mkdir()
    monkeypatch.setenv("LOOPLAB_DEFAULTS", str(path))

    def write(content: str | bytes) -> Path:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return write


@pytest.fixture
def launch(window_factory: Callable[[], MainWindow]) -> Callable[[], MainWindow]:
    """Opens the lab as a launch would (reading the settings): tests/ui/conftest.py's window_factory."""
    return window_factory


def school_urls(demo_server: DemoServer) -> str:
    return f"https://example.org/\n{demo_server.url}/delay/1"


def test_a_new_user_starts_with_the_schools_urls_and_presentation_mode(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    window = launch()
    # The placeholder is this launch's demo server, as in a remembered list.
    assert window.source.url_edit.toPlainText() == school_urls(demo_server)
    assert window.presentation.on and not window.controls.concurrency_spin.isVisible()
    assert settings.language() == "de"  # kept for the translations to come


def test_what_the_user_changed_wins_and_what_they_kept_follows_the_file(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    first = launch()
    mine = f"{demo_server.url}/bytes/10\n{demo_server.url}/status/404"
    first.source.url_edit.setPlainText(mine)  # presentation mode left as IT set it
    quit_lab(first, loop)
    stored = settings.open_settings()
    assert stored.contains("urls") and not stored.contains("presentation")  # only what the user chose

    defaults_file(SCHOOL.replace("presentation = true", "presentation = false"))  # IT changes its mind
    second = launch()
    assert second.source.url_edit.toPlainText() == mine
    assert not second.presentation.on
    second.set_presentation(True)  # now the user's own choice, against the file
    quit_lab(second, loop)

    third = launch()
    assert third.presentation.on and third.source.url_edit.toPlainText() == mine


def test_a_list_kept_as_it_came_follows_a_new_defaults_file(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    quit_lab(launch(), loop)  # looked, changed nothing
    assert not settings.open_settings().contains("urls")
    defaults_file(SCHOOL.replace("https://example.org/", "https://next-term.example/"))
    assert launch().source.url_edit.toPlainText() == school_urls(demo_server).replace("https://example.org/", "https://next-term.example/")


def test_going_back_to_the_demo_urls_is_the_users_choice_too(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], loop: qasync.QEventLoop, demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    first = launch()
    assert first.source.url_edit.toPlainText() == school_urls(demo_server)
    first.findChild(QAction, "restoreDemoAction").trigger()  # File > Restore the demo URLs
    demo = "\n".join(demo_urls(demo_server.url))
    assert first.source.url_edit.toPlainText() == demo
    quit_lab(first, loop)
    assert launch().source.url_edit.toPlainText() == demo  # not the school's list again


def test_saved_settings_win_over_the_defaults(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    mine = f"{demo_server.url}/delay/0.2"
    settings.save(settings.Remembered(urls=mine, presentation=False))  # saved before IT's file came
    window = launch()
    assert window.source.url_edit.toPlainText() == mine
    assert not window.presentation.on


def test_reset_to_defaults_goes_back_to_the_schools_defaults(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], demo_server: DemoServer
) -> None:
    defaults_file(SCHOOL)
    window = launch()
    window.source.url_edit.setPlainText(f"{demo_server.url}/bytes/1")
    window.set_presentation(False)
    window.state.save()
    window.state.confirm_reset = lambda: True
    window.findChild(QAction, "resetAction").trigger()  # File > Reset to defaults, and Yes
    assert window.source.url_edit.toPlainText() == school_urls(demo_server)
    assert window.presentation.on


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 8 + b"\x00[[[ = =\n", b"[lab]\nurls = https://example.org/\nurls = twice\n", b"no section\n"],
    ids=["garbage", "duplicate-key", "no-section"],
)
def test_a_broken_defaults_file_is_ignored_with_a_warning(
    launch: Callable[[], MainWindow],
    defaults_file: Callable[[bytes], Path],
    demo_server: DemoServer,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
) -> None:
    path = defaults_file(content)
    window = launch()
    assert window.source.url_edit.toPlainText() == "\n".join(demo_urls(demo_server.url))
    assert not window.presentation.on
    assert settings.language() == ""
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "app.site_defaults"]
    assert len(warned) == 1 and str(path) in warned[0]


def test_a_bad_value_is_left_out_and_the_good_ones_kept(
    launch: Callable[[], MainWindow], defaults_file: Callable[[str], Path], demo_server: DemoServer, caplog: pytest.LogCaptureFixture
) -> None:
    defaults_file(SCHOOL.replace("presentation = true", "presentation = sometimes"))
    window = launch()
    assert window.source.url_edit.toPlainText() == school_urls(demo_server)
    assert not window.presentation.on
    assert "presentation = 'sometimes'" in caplog.text


def test_the_users_own_language_wins_over_the_schools(defaults_file: Callable[[str], Path], caplog: pytest.LogCaptureFixture) -> None:
    defaults_file(SCHOOL)
    assert settings.language() == "de"
    stored = settings.open_settings()
    stored.setValue("language", "fr")  # as Settings > Language will
    stored.sync()
    assert settings.language() == "fr"
    stored.setValue("language", "<b>French</b>")
    stored.sync()
    assert settings.language() == "de"
    assert "remembered language" in caplog.text
