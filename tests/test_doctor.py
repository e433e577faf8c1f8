"""`looplab doctor`: passes on a machine that can run LoopLab, and says what to do when one
check fails (a busy port, no display, no CA certificates, a folder it cannot write to)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app import doctor, i18n
from tests.languages import TRANSLATED, english_left

LOOPLAB = [sys.executable, "-m", "app"]
CHECKS = [
    "Versions",
    "Qt platform",
    "Settings location",
    "Resources",
    "OS trust store",
    "Demo server",
    "Async fetch",
    "Blocking fetch",
    "Process pool",
]


def run_doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LOOPLAB, "doctor", *args], capture_output=True, text=True, timeout=120, env=env)


def lines_by_check(stdout: str) -> dict[str, str]:
    """Each check's line, by the check's name."""
    found = {}
    for line in stdout.splitlines():
        for name in CHECKS:
            if line[6:].startswith(name):
                found[name] = line
    return found


def test_doctor_passes_here_with_one_line_per_check() -> None:
    result = run_doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = lines_by_check(result.stdout)
    assert list(lines) == CHECKS
    assert all(line.startswith("ok ") for line in lines.values()), result.stdout
    assert "All 9 checks passed." in result.stdout
    assert '"offscreen" platform plugin loads' in lines["Qt platform"]
    assert "qasync" in lines["Versions"] and "aiohttp" in lines["Versions"] and "Qt 6." in lines["Versions"]
    assert "aiohttp fetched http://127.0.0.1:" in lines["Async fetch"]
    assert "requests fetched http://127.0.0.1:" in lines["Blocking fetch"]
    assert "Traceback" not in result.stderr


def test_doctor_fails_and_says_what_to_do_when_the_demo_server_cannot_bind() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_doctor("--port", str(port))
    assert result.returncode == 1
    lines = lines_by_check(result.stdout)
    assert lines["Demo server"].startswith("FAIL")
    assert f"cannot listen on 127.0.0.1:{port}" in lines["Demo server"]
    assert f"What to do: another program already uses port {port}" in lines["Demo server"]
    # The fetches need the server: not run, and not counted as passed.
    assert lines["Async fetch"].startswith("skip") and lines["Blocking fetch"].startswith("skip")
    assert lines["Process pool"].startswith("ok")
    assert "3 of 9 checks did not pass: Demo server, Async fetch, Blocking fetch." in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is how Linux finds the desktop")
def test_without_a_display_the_qt_check_fails_and_the_doctor_carries_on() -> None:
    # Qt aborts the process that cannot open its platform plugin: the doctor's probe child.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = run_doctor(env=env)
    assert result.returncode == 1
    lines = lines_by_check(result.stdout)
    assert lines["Qt platform"].startswith("FAIL")
    assert "What to do: there is no display" in lines["Qt platform"]
    assert "QT_QPA_PLATFORM=offscreen looplab doctor" in lines["Qt platform"]
    assert all(lines[name].startswith("ok") for name in CHECKS if name != "Qt platform")


def test_a_settings_folder_that_cannot_be_written_fails_with_advice(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # As root every folder is writable, so make the folder impossible instead: inside a file.
    env = dict(os.environ, XDG_CONFIG_HOME=str(blocker / "config"))
    result = run_doctor(env=env)
    assert result.returncode == 1
    line = lines_by_check(result.stdout)["Settings location"]
    assert line.startswith("FAIL") and f"cannot write to {blocker}" in line
    assert "What to do: LoopLab saves its settings and log there" in line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="OpenSSL's CA paths are the Linux trust store")
def test_no_system_certificates_fail_the_trust_store_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    (tmp_path / "no-certs").mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-certs"))
    result = doctor.run_check("OS trust store", doctor.check_trust_store)
    assert not result.passed
    assert "no CA certificates found" in result.detail and str(empty) in result.detail
    assert "apt-get install ca-certificates" in result.fix


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="OpenSSL's CA paths are the Linux trust store")
def test_the_trust_store_check_counts_the_certificates_truststore_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trustme

    ca_file = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "missing"))
    assert doctor.check_trust_store().startswith(f"1 CA certificate from {ca_file},")


def test_the_ca_file_candidates_are_truststores() -> None:
    # The doctor describes what truststore does on Linux; if truststore changes where it
    # looks, this list must follow.
    from truststore import _openssl

    assert list(doctor.CA_FILE_CANDIDATES) == _openssl._CA_FILE_CANDIDATES


def test_an_unexpected_error_in_a_check_fails_it_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> str:
        raise ZeroDivisionError("boom")

    with caplog.at_level(logging.ERROR):
        result = doctor.run_check("Broken", broken)
    assert not result.passed
    assert result.line().startswith("FAIL  Broken")
    assert "unexpected error: ZeroDivisionError: boom" in result.detail
    assert "The Broken check failed unexpectedly" in caplog.text and "ZeroDivisionError" in caplog.text


def test_importing_the_doctor_loads_no_qt() -> None:
    # The Qt-free checks are reusable without Qt; the others import it when they run.
    code = "import sys, app.doctor; print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_doctor_speaks_the_language_of_the_computer(language: str) -> None:
    """Every line of the doctor in the language LOOPLAB_LANG (or the system) asks for: the checks'
    names, what they found, the verdict. Names, versions, paths and URLs stay as they are."""
    result = run_doctor(env={**os.environ, "LOOPLAB_LANG": language})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 + len(CHECKS)
    left = english_left(lines, language)
    assert not left, "\n".join(left)
    i18n.set_language(language)
    try:
        for line, name in zip(lines[1:-1], CHECKS, strict=True):
            assert i18n._(name) in line
        assert lines[-1] == i18n.ngettext("The {total} check passed.", "All {total} checks passed.", len(CHECKS)).format(total=len(CHECKS))
    finally:
        i18n.set_language("en")
