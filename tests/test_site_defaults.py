"""IT's defaults file (app.site_defaults): where each system keeps it, what it may say, and that
nothing in it, however broken, stops LoopLab from starting (it is logged and left out)."""

from __future__ import annotations

import logging
import os
from pathlib import Path, PureWindowsPath

import pytest

from app import site_defaults
from app.site_defaults import SiteDefaults

EXAMPLE = """\
; LoopLab's defaults for this school's computers
[lab]
urls =
    https://example.org/
    # the school's own page, commented out for now
    # https://intranet.example/

    http://demo-server.looplab/delay/1
presentation = yes
language = de
"""


def write(tmp_path: Path, text: str | bytes, name: str = "defaults.ini") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_file(path: Path) -> SiteDefaults:
    return site_defaults.load({site_defaults.ENV_VAR: str(path)})


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.site_defaults" and r.levelno == logging.WARNING]


# --- where --------------------------------------------------------------------------------------


def test_each_system_has_its_place() -> None:
    assert site_defaults.candidates({}, "linux") == [Path("/etc/xdg/LoopLab/defaults.ini")]
    (windows,) = site_defaults.candidates({"ProgramData": r"D:\ProgramData"}, "win32")
    assert PureWindowsPath(str(windows)) == PureWindowsPath(r"D:\ProgramData\LoopLab\defaults.ini")
    (fallback,) = site_defaults.candidates({}, "win32")
    assert PureWindowsPath(str(fallback)) == PureWindowsPath(r"C:\ProgramData\LoopLab\defaults.ini")
    assert site_defaults.candidates({}, "darwin") == [Path("/Library/Application Support/LoopLab/defaults.ini")]


def test_linux_follows_xdg_config_dirs_most_important_first(tmp_path: Path) -> None:
    first, second = tmp_path / "site", tmp_path / "vendor"
    environ = {"XDG_CONFIG_DIRS": f"{first}:relative/ignored:{second}"}
    assert site_defaults.candidates(environ, "linux") == [first / "LoopLab" / "defaults.ini", second / "LoopLab" / "defaults.ini"]
    assert site_defaults.find(environ, "linux") is None
    (second / "LoopLab").mkdir(parents=True)
    (second / "LoopLab" / "defaults.ini").write_text("[lab]\npresentation = true\n")
    assert site_defaults.find(environ, "linux") == second / "LoopLab" / "defaults.ini"
    (first / "LoopLab").mkdir(parents=True)
    (first / "LoopLab" / "defaults.ini").write_text("[lab]\npresentation = false\n")
    assert site_defaults.find(environ, "linux") == first / "LoopLab" / "defaults.ini"
    assert site_defaults.load(environ, "linux").presentation is False  # the first found, alone


def test_the_environment_variable_names_the_file_or_none(tmp_path: Path) -> None:
    path = write(tmp_path, "[lab]\npresentation = true\n")
    assert site_defaults.find({site_defaults.ENV_VAR: str(path), "XDG_CONFIG_DIRS": "/nowhere"}, "linux") == path
    assert site_defaults.find({site_defaults.ENV_VAR: ""}, "linux") is None
    assert site_defaults.load({site_defaults.ENV_VAR: ""}) == SiteDefaults()


def test_the_tests_never_see_this_computers_defaults_file() -> None:
    assert os.environ[site_defaults.ENV_VAR] == ""  # tests/conftest.py
    assert site_defaults.load() == SiteDefaults()


# --- what ---------------------------------------------------------------------------------------


def test_the_documented_example_is_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, EXAMPLE)
    preset = load_file(path)
    assert preset == SiteDefaults(
        path=path,
        urls="https://example.org/\nhttp://demo-server.looplab/delay/1",
        presentation=True,
        language="de",
        keys=("urls", "presentation", "language"),
    )
    assert warnings(caplog) == []


def test_the_readmes_example_file_is_read_as_the_readme_says(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying LoopLab in a school", 1)[1].split("\n## ", 1)[0]
    example = section.split("```ini\n", 1)[1].split("```", 1)[0]
    preset = load_file(write(tmp_path, example))
    assert preset.keys == ("urls", "presentation", "language")
    assert preset.urls is not None and len(preset.urls.splitlines()) >= 2
    assert "http://demo-server.looplab/" in preset.urls  # the built-in demo server, as the README explains
    assert preset.presentation is True and preset.language == "de"
    assert warnings(caplog) == []
    for place in (
        "/etc/xdg/LoopLab/defaults.ini",
        r"%ProgramData%\LoopLab\defaults.ini",
        "/Library/Application Support/LoopLab/defaults.ini",
    ):
        assert place in section, place


@pytest.mark.parametrize(("written", "meant"), [("true", True), ("On", True), ("1", True), ("no", False), ("FALSE", False)])
def test_presentation_takes_the_usual_ways_to_say_yes_and_no(tmp_path: Path, written: str, meant: bool) -> None:
    assert load_file(write(tmp_path, f"[lab]\npresentation = {written}\n")).presentation is meant


@pytest.mark.parametrize("tag", ["de", "pt_BR", "pt-BR", "zh_CN", "zh-Hans-CN", "es"])
def test_language_tags_are_kept_as_written(tmp_path: Path, tag: str) -> None:
    assert load_file(write(tmp_path, f"[lab]\nlanguage = {tag}\n")).language == tag


def test_notepads_byte_order_mark_and_windows_line_ends_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff[Lab]\r\nURLs =\r\n    https://a.example/\r\n    https://b.example/\r\n".encode())
    assert load_file(path).urls == "https://a.example/\nhttps://b.example/"  # [Lab] and URLs as IT typed them


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_as_powershell_and_notepad_write_it_is_read(tmp_path: Path, caplog: pytest.LogCaptureFixture, encoding: str) -> None:
    # Windows PowerShell 5.1's Out-File and ">" (what a deployment script uses) and Notepad's
    # "Unicode" write UTF-16 with a byte-order mark.
    bom = {"utf-16": b"", "utf-16-le": "\ufeff".encode("utf-16-le"), "utf-16-be": "\ufeff".encode("utf-16-be")}[encoding]
    path = write(tmp_path, bom + "[lab]\r\npresentation = true\r\nurls =\r\n    https://schule.example/\r\n".encode(encoding))
    assert load_file(path) == SiteDefaults(path=path, urls="https://schule.example/", presentation=True, keys=("urls", "presentation"))
    assert warnings(caplog) == []


def test_an_unchanged_file_is_parsed_once_a_changed_one_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "[lab]\npresentation = maybe\n")
    load_file(path)
    load_file(path)
    assert len(warnings(caplog)) == 1  # saving settings asks at every save: one warning, not one per save
    path.write_text("[lab]\npresentation = true\nlanguage = fr\n")
    assert load_file(path).language == "fr"


# --- broken files: logged, left out, never a crash -------------------------------------------------


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (bytes(range(256)) * 8, "Ignoring the defaults file"),  # not text
        (b"urls = https://example.org/\n", "Ignoring the defaults file"),  # no section header at all
        (b"[school]\npresentation = true\n", "no [lab] section"),
        (b"[lab]\npresentation = true\npresentation = false\n", "Ignoring the defaults file"),  # said twice
        (b"[lab\nurls = x\n", "Ignoring the defaults file"),
    ],
    ids=["binary", "no-section-header", "no-lab-section", "duplicate-key", "broken-header"],
)
def test_a_broken_file_is_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, said: str) -> None:
    path = write(tmp_path, content)
    assert load_file(path) == SiteDefaults()
    (warning,) = warnings(caplog)
    assert said in warning and str(path) in warning


def test_a_missing_or_unreadable_file_is_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert load_file(tmp_path / "not-there.ini") == SiteDefaults()
    (tmp_path / "a-folder.ini").mkdir()
    assert load_file(tmp_path / "a-folder.ini") == SiteDefaults()
    assert len(warnings(caplog)) == 2


def test_bad_values_are_left_out_and_good_ones_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "[lab]\nurls =\npresentation = maybe\nlanguage = Deutsch!\ntheme = dark\n[other]\nx = 1\n")
    assert load_file(path) == SiteDefaults(path=path)
    said = " | ".join(warnings(caplog))
    for fragment in ("urls", "presentation = 'maybe'", "language = 'Deutsch!'", "theme", "[other]"):
        assert fragment in said, fragment
    path.write_text("[lab]\npresentation = maybe\nlanguage = es\n")
    assert load_file(path) == SiteDefaults(path=path, language="es", keys=("language",))
