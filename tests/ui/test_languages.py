"""The window in every language LoopLab speaks: no English left, nothing cut off, Settings > Language.

For each language the lab is opened as a classroom computer in that language would open it, then
looked at as a class would see it: after a run (the report, the tables, the history), on a lesson
(its words, its code's comments), in presentation mode, with Settings, the keyboard shortcuts and
About open. Every text of it (labels, buttons, tabs, menus, tooltips, headers, cells, accessible
names) is searched for LoopLab's English words (tests/languages.py); names, code and URLs are not
English. Then the classroom screen (1366 x 768) is checked for cut text the way test_fit does,
German being the longest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox

from app import i18n
from app.core.demo_server import DemoServer
from app.ui import settings
from app.ui.dialogs import AboutDialog
from app.ui.main_window import MainWindow
from app.ui.translations import install
from tests.languages import TRANSLATED, english_left, english_words, words
from tests.ui.test_fit import FRAME, TITLE_AND_TASK_BAR, check_every_view, run_with_failures, settle
from tests.ui.visible_text import code_comments, texts


def everything_a_class_sees(lab: MainWindow, loop: qasync.QEventLoop) -> list[str]:
    """The texts of the lab after a run, on a lesson, in presentation mode, and of its dialogs."""
    seen: list[str] = []
    loop.run_until_complete(lab.run_once())  # the demo URLs: report, requests, history
    for index in range(lab.results.count()):
        lab.results.setCurrentIndex(index)
        seen += texts(lab, skip=(lab.source.url_editor, lab.liveness.typing_box))
    lab.source.open_lesson("sequential")
    code_view = lab.source.lesson_panel.code_view
    seen += texts(lab, skip=(code_view,))
    comments = code_comments(code_view.toPlainText())
    assert comments, "the lesson's code has comments"
    seen += comments
    lab.source.open_lesson("queue")  # the workers' words, the limit slider
    seen += texts(lab, skip=(code_view,)) + code_comments(code_view.toPlainText())
    lab.set_presentation(True, full_screen=False)
    seen += texts(lab, skip=(code_view,))
    lab.set_presentation(False, full_screen=False)
    dialog = lab.state.open_settings()
    seen += texts(dialog)
    buttons = dialog.findChild(QDialogButtonBox)
    seen += [button.text() for button in buttons.buttons()]  # Qt's own words: qtbase_<lang>.qm
    dialog.reject()
    lab.show_shortcuts()
    shortcuts = next(d for d in lab.findChildren(QDialog) if d.objectName() == "shortcutsDialog")
    seen += texts(shortcuts)
    shortcuts.reject()
    about = AboutDialog(lab)
    seen += texts(about)
    about.deleteLater()
    return seen


@pytest.mark.parametrize("lab_in_language", TRANSLATED, indirect=True)
def test_the_window_shows_no_english(lab_in_language: MainWindow, loop: qasync.QEventLoop) -> None:
    language = i18n.language()
    seen = everything_a_class_sees(lab_in_language, loop)
    assert len(seen) > 200
    left = english_left(seen, language)
    assert not left, f"{language}: English left in {len(left)} texts:\n" + "\n".join(left)


def test_the_search_finds_english_in_an_english_window(lab: MainWindow, loop: qasync.QEventLoop) -> None:
    """The check itself can fail: the English window is full of what it looks for."""
    seen = everything_a_class_sees(lab, loop)
    for language in TRANSLATED:
        assert len(english_left(seen, language)) > 100, language
    assert {"window", "frozen", "request"} <= english_words("de")
    assert words("Run `asyncio.sleep(2)` at http://127.0.0.1:8080/delay/2 {time}") == ["run", "at"]


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("lab_in_language", TRANSLATED, indirect=True)
def test_nothing_is_cut_off_on_a_classroom_laptop(
    lab_in_language: MainWindow, loop: qasync.QEventLoop, demo_server: DemoServer, presentation: bool
) -> None:
    """1366 x 768 in every language (German's words are the longest), with every view of test_fit."""
    lab = lab_in_language
    run_with_failures(lab, loop, demo_server)
    lab.set_presentation(presentation, full_screen=False)
    size = (1366, 768) if presentation else (1366 - FRAME, 768 - TITLE_AND_TASK_BAR)
    lab.resize(*size)
    settle(lab)
    assert (lab.width(), lab.height()) == size, f"{size} asked, {lab.width()} x {lab.height()} given"
    found = check_every_view(lab, f"{i18n.language()} {'presentation' if presentation else 'normal'} 1366x768")
    assert not found, "\n".join(found)
    # The report gets the height its words need, whatever the results below would like: short of
    # it, its details fell out of it whenever the liveness panel took a line more.
    assert lab.report.height() >= lab.report.heightForWidth(lab.report.width())


def test_settings_language_applies_at_the_next_start(lab: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """File > Settings > Language is remembered; the next window (the next start) speaks it; the
    dialog says when it applies. "System language" follows the system again."""
    dialog = lab.state.open_settings()
    combo = dialog.language_combo
    assert combo.itemData(0) == i18n.SYSTEM
    assert [combo.itemData(i) for i in range(1, combo.count())] == list(i18n.LANGUAGES)
    assert "Deutsch" in [combo.itemText(i) for i in range(combo.count())]  # each language in its own name
    assert any("next time" in text for text in texts(dialog))
    combo.setCurrentIndex(combo.findData("de"))
    dialog.accept()
    assert settings.load().language == "de"
    assert i18n.language() == "en"  # this session's words stay as they were built
    monkeypatch.delenv(i18n.ENV_VAR)
    try:
        assert install() == "de"  # what the next start does before building its window
        assert i18n._("Run") == "Start"
        assert QApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"  # Qt's own words too
    finally:
        i18n.set_language("en")
        install("en")
    lab.state.open_settings()
    dialog = lab.findChildren(QDialog)[-1]
    assert dialog.language_combo.currentData() == "de"
    dialog.language_combo.setCurrentIndex(0)
    dialog.accept()
    assert settings.load().language == ""


def test_the_schools_preset_language_applies_under_the_users_own(lab: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """IT's defaults file (``language = pt-BR``) chooses the language of a user who chose none;
    Settings shows it chosen, and keeping it leaves it IT's; a user's own choice wins over it."""
    defaults = tmp_path / "defaults.ini"
    defaults.write_text("[lab]\nlanguage = pt-BR\n", encoding="utf-8")
    monkeypatch.setenv("LOOPLAB_DEFAULTS", str(defaults))
    monkeypatch.delenv(i18n.ENV_VAR)
    try:
        assert install() == "pt_BR"
        lab.state.restore(settings.load())  # as the window of a start with this file would be
        dialog = lab.state.open_settings()
        assert dialog.language_combo.currentData() == "pt_BR"  # as IT set it
        dialog.accept()
        assert settings.open_settings().value("language") is None  # still IT's, not the user's own
        assert install() == "pt_BR"
        dialog = lab.state.open_settings()
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("fr"))
        dialog.accept()
        assert install() == "fr"
    finally:
        i18n.set_language("en")
        install("en")
