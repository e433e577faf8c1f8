"""``looplab doctor``: checks that LoopLab can run on this computer, one line per check.

Each check either passes with what it found ("Qt 6.11.3", "the demo server answered on ...") or
fails with what went wrong *and what to do about it*. ``looplab doctor`` exits 0 only when every
check passes, so installers and CI can run it on what they just built.

Importing this module loads no Qt: the checks that need Qt import it inside themselves, and the
others (demo server, both fetches, trust store, process pool, resources) can be reused by
anything that wants to know the machine is fit for a lesson. Checks that would crash the
process when they fail (a Qt platform plugin that cannot load aborts the program) run in a
child process.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import http.client
import logging
import os
import re
import ssl
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import truststore

from app import __version__, resources
from app.core import blocking, fetch
from app.core.demo_server import DemoServer
from app.core.fetch import FetchOptions
from app.core.lesson_work import LessonPool
from app.core.lessons import LessonSetup, compile_main, lesson_by_id
from app.core.run import FetchMode, RequestRecord, RequestState, Run, format_duration, format_size
from app.core.urls import check_url
from app.i18n import N_, _, ngettext
from app.versions import versions

log = logging.getLogger(__name__)

# The fixes are module constants, so marked here and translated where they are said (_(...)).
QT_LIBS_FIX = N_(
    "install the system libraries Qt needs. On Debian/Ubuntu: sudo apt-get install libegl1 libgl1 "
    "libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 (the README's Troubleshooting has the list for X11)"
)
XCB_LIBS_FIX = N_(
    "install the libraries Qt's xcb plugin needs. On Debian/Ubuntu: sudo apt-get install libxcb-cursor0 "
    "libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
)
REINSTALL_FIX = N_("LoopLab's installation is incomplete: reinstall it (or run `pip install -e .` again in a checkout)")
_HASHED_CERT_NAME = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]$")
"""How OpenSSL names the certificates in a CA folder (what truststore looks for, too)."""
PROBE_TIMEOUT = 60.0
"""Seconds for a child process (the Qt probe, the process-pool worker) to start and answer."""


class CheckFailed(Exception):
    """A check found a problem. ``problem`` says what is wrong, ``fix`` what to do about it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class CheckResult:
    """How one check went."""

    name: str
    passed: bool
    detail: str
    """What was found (passed), or what is wrong (failed)."""
    fix: str = ""
    """What to do, for a failed check."""
    skipped: bool = False
    """Not run, because a check it needs failed (counts as not passed)."""

    def line(self) -> str:
        """The check as one line of text."""
        words = _status_words()
        status = words[0] if self.passed else words[1] if self.skipped else words[2]
        # Columns as wide as the longest word in this language (English: 5 and 18, plus a space),
        # in terminal columns: a Chinese character takes two.
        status_width = max(5, *(_columns(w) for w in words)) + 1
        name_width = max(18, *(_columns(_(name)) for name in CHECK_NAMES)) + 1
        text = f"{_pad(status, status_width)}{_pad(_(self.name), name_width)}{self.detail}"
        return _("{text}. What to do: {fix}").format(text=text, fix=self.fix) if self.fix else text


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _columns(text))


def _status_words() -> tuple[str, str, str]:
    # Translators: the doctor's three status words, in a column at the start of each line: keep them short.
    return _("ok"), _("skip"), _("FAIL")


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Runs one check. An exception other than :class:`CheckFailed` is a bug, in LoopLab or in
    the check: it fails the check *and* goes to the log with its traceback, never swallowed."""
    try:
        detail = check()
    except CheckFailed as failure:
        return CheckResult(name, False, failure.problem, failure.fix)
    except Exception as exc:  # noqa: BLE001 - reported in full, see the docstring
        log.error("The %s check failed unexpectedly", name, exc_info=exc)
        return CheckResult(
            name,
            False,
            _("unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"),
            _("please report this to LoopLab's developers, with the traceback printed above"),
        )
    return CheckResult(name, True, detail)


def skipped(name: str, reason: str) -> CheckResult:
    return CheckResult(name, False, _("not checked: {reason}").format(reason=reason), skipped=True)


# --- Qt-free checks --------------------------------------------------------------------------


def check_resources() -> str:
    """The icon and style sheet load through ``app.resources``, as the window loads them."""
    try:
        icon = resources.path("looplab.svg")
        style = resources.read_text("looplab.qss")
    except (OSError, ModuleNotFoundError) as exc:
        raise CheckFailed(_("LoopLab's resources cannot be read ({error})").format(error=exc), _(REINSTALL_FIX)) from exc
    if not style.strip():
        raise CheckFailed(_("the style sheet looplab.qss is empty"), _(REINSTALL_FIX))
    return _("icon and style sheet load from {folder}").format(folder=icon.parent)


CA_FILE_CANDIDATES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)
"""Where truststore looks on Linux when OpenSSL's own default paths hold no certificates
(a bundled OpenSSL built for another distribution). tests/test_doctor.py checks this list
against truststore's own."""


def os_trust_store() -> str:
    """Where the operating system's CA certificates come from, as truststore finds them.

    Raises :class:`CheckFailed` when there are none (on Linux: no certificates where OpenSSL and
    truststore look for them).
    """
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Setting up a connection in memory makes truststore load the store now, as it will for a
    # real connection: any error it has surfaces here.
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    if sys.platform == "win32":
        count = len(ssl.enum_certificates("ROOT"))  # type: ignore[attr-defined] # Windows only
        return _("the Windows certificate store ({count} root certificates), asked at each connection").format(count=count)
    if sys.platform == "darwin":
        return _("the macOS keychain, asked at each connection")
    # Linux and the BSDs: truststore gives OpenSSL its default CA file and folder if they hold
    # certificates, or else the first of CA_FILE_CANDIDATES that exists. truststore keeps its
    # inner context to itself, so count what it will load with a context of our own.
    defaults = ssl.get_default_verify_paths()
    counter = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    folder = defaults.capath if defaults.capath and _holds_certificates(defaults.capath) else None
    if defaults.cafile or folder:
        counter.set_default_verify_paths()
        where = _(" and ").join(str(p) for p in (defaults.cafile, folder) if p)
    else:
        where = next((path for path in CA_FILE_CANDIDATES if os.path.isfile(path)), "")
        if where:
            counter.load_verify_locations(cafile=where)
    # Certificates in a folder are read one by one during verification, so are not counted yet.
    count = counter.cert_store_stats()["x509_ca"]
    if count == 0 and not folder:
        if "SSL_CERT_FILE" in os.environ:
            problem = _("no CA certificates found in the operating system's store (SSL_CERT_FILE points at {path})").format(
                path=os.environ["SSL_CERT_FILE"]
            )
        else:
            problem = _("no CA certificates found in the operating system's store")
        raise CheckFailed(
            problem,
            _(
                "install the system's certificates (Debian/Ubuntu: sudo apt-get install ca-certificates). Until "
                "then LoopLab verifies with certifi's bundle only: public sites work, a school's TLS proxy does not"
            ),
        )
    if count:
        return ngettext(
            "{count} CA certificate from {where}, with certifi's bundle as fallback",
            "{count} CA certificates from {where}, with certifi's bundle as fallback",
            count,
        ).format(count=count, where=where)
    return _("CA certificates from {where}, with certifi's bundle as fallback").format(where=where)


def _holds_certificates(folder: str) -> bool:
    try:
        return any(map(_HASHED_CERT_NAME.match, os.listdir(folder)))
    except OSError:
        return False


def check_trust_store() -> str:
    """truststore loads the OS store, and the app's TLS context (OS store + certifi) builds."""
    found = os_trust_store()
    fetch.make_ssl_context()  # what both modes verify with; an exception here is a real bug
    return found


def start_demo_server(host: str, port: int) -> DemoServer:
    """Starts the demo server and checks it answers; raises :class:`CheckFailed` otherwise."""
    try:
        server = DemoServer(host, port).start()
    except OSError as exc:
        raise CheckFailed(
            _("the demo server cannot listen on {address} ({reason})").format(address=f"{host}:{port}", reason=exc.strerror or exc),
            _listen_fix(exc, host, port),
        ) from exc
    try:
        # Plain http.client, not one of the two libraries checked next: this answers only
        # "does the server work", so a library problem cannot be blamed on the server.
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        try:
            connection.request("GET", "/")
            answer = connection.getresponse()
            page = answer.read().decode("utf-8", "replace")
        finally:
            connection.close()
        if answer.status != 200 or "LoopLab demo server" not in page:
            raise CheckFailed(
                _("something else answered on {url} (HTTP {status})").format(url=f"{server.url}/", status=answer.status),
                _("another program is intercepting local connections: check security software"),
            )
    except OSError as exc:
        server.stop()
        raise CheckFailed(
            _("the demo server started but did not answer on {url} ({error})").format(url=f"{server.url}/", error=exc),
            _("check that no firewall or security software blocks connections to 127.0.0.1"),
        ) from exc
    except BaseException:
        server.stop()
        raise
    return server


def _listen_fix(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return _("another program already uses port {port}: choose another one, or --port 0 for any free port").format(port=port)
    if exc.errno == errno.EACCES:
        return _("this port needs administrator rights (or is blocked): use a port above 1024, or --port 0")
    if exc.errno == errno.EADDRNOTAVAIL:
        return _("{host} is not an address of this computer: use 127.0.0.1").format(host=host)
    return _("check that the loopback network (127.0.0.1) works and no security software blocks LoopLab")


def check_async_fetch(base_url: str) -> str:
    """One request with aiohttp on an asyncio event loop, through the code the lab runs."""
    url = f"{base_url}/get"
    run = Run.plan([url], FetchMode.ASYNC, concurrency=1, check=check_url)

    async def fetch_once() -> None:
        async with fetch.open_async_session() as session:
            await fetch.run_async(run, session, FetchOptions(timeout=10))

    # A plain asyncio loop of our own: never whatever loop policy a caller may have installed.
    with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
        runner.run(fetch_once())
    return _fetched("aiohttp", run.records[0])


def check_blocking_fetch(base_url: str) -> str:
    """One request with requests, blocking this thread, through the code the lab runs."""
    run = Run.plan([f"{base_url}/get"], FetchMode.BLOCKING, concurrency=1, check=check_url)
    with blocking.open_blocking_session() as session:
        blocking.run_blocking(run, session, FetchOptions(timeout=10))
    return _fetched("requests", run.records[0])


def _fetched(library: str, record: RequestRecord) -> str:
    if record.state is not RequestState.DONE:
        raise CheckFailed(
            _("{library} could not fetch {url}: {error}").format(library=library, url=record.url, error=record.error),
            _("check that no firewall or security software blocks connections to 127.0.0.1"),
        )
    return _("{library} fetched {url}: {status}, {size} in {time}").format(
        library=library,
        url=record.url,
        status=f"{record.status} {record.reason}",
        size=format_size(record.bytes_received),
        time=format_duration(record.duration or 0.0),
    )


def check_process_pool() -> str:
    """The lab's process pool starts a worker that runs the CPU lesson's ``count_primes``.

    The pool the lab uses (:class:`app.core.lesson_work.LessonPool`) with the "spawn" start
    method on every system (it is the default on Windows and macOS), and the function as the
    lesson's code defines it, so the check on Linux proves the same thing: a frozen LoopLab can
    start a worker from its own program file (``multiprocessing.freeze_support()`` in the
    bundle's entry point) and the worker can run the lesson's code.
    """
    setup = LessonSetup(base_url="http://127.0.0.1:1", scale=0.25)
    count_primes = compile_main(lesson_by_id("cpu").code(setup), "cpu").__globals__["count_primes"]
    pool = LessonPool(max_workers=1)
    try:
        pid = pool.submit(os.getpid).result(timeout=PROBE_TIMEOUT)
        primes = pool.submit(count_primes, 100).result(timeout=PROBE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - every way a worker fails becomes the check's message
        pool.shutdown(wait=False, cancel_futures=True)
        raise CheckFailed(
            _("a worker process could not run a task ({error})").format(error=f"{type(exc).__name__}: {exc}"),
            _(
                "the CPU lesson needs worker processes: check that security software lets LoopLab start "
                "its own program again; otherwise {fix}"
            ).format(fix=_(REINSTALL_FIX)),
        ) from exc
    pool.shutdown(wait=True)
    if pid == os.getpid() or primes != 25:
        raise CheckFailed(_("the worker answered wrongly (pid {pid}, {primes} primes below 100)").format(pid=pid, primes=primes), _(REINSTALL_FIX))
    return _("a worker process (spawn, pid {pid}) ran the CPU lesson's count_primes").format(pid=pid)


# --- checks that need Qt ---------------------------------------------------------------------


def check_versions() -> str:
    """The versions of LoopLab and everything it stands on; fails if Qt cannot be imported."""
    where = _("bundle") if getattr(sys, "frozen", False) else _("Python package")
    try:
        found = versions()
    except ImportError as exc:  # usually a system library Qt needs is missing
        raise CheckFailed(_("Qt cannot be loaded ({error})").format(error=exc), _(QT_LIBS_FIX)) from exc
    if dict(found)["qasync"] == "unknown":
        raise CheckFailed(_("qasync's version cannot be read: its package metadata is missing"), _(REINSTALL_FIX))
    text = ", ".join(f"{name} {version}" + (f" ({where})" if name == "LoopLab" else "") for name, version in found)
    import PySide6

    if sys.version_info[:2] == (3, 11) and PySide6.__version_info__[:2] >= (6, 12):
        raise CheckFailed(
            _("PySide6 {version} crashes Python 3.11 ({versions})").format(version=PySide6.__version__, versions=text),
            _('install an older one: pip install "PySide6-Essentials<6.12" (or use Python 3.12+)'),
        )
    return text


def looplab_command() -> list[str]:
    """How to start this same LoopLab again: the bundle's program, or this Python with ``-m app``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app"]


def check_qt_platform() -> str:
    """Qt's platform plugin loads (xcb, wayland, windows, cocoa or offscreen).

    In a child process (``looplab doctor --qt-probe``): when the plugin cannot load, Qt aborts
    the whole program, and the doctor must live on to say what to do.
    """
    try:
        probe = subprocess.run(
            [*looplab_command(), "doctor", "--qt-probe"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(
            _("starting Qt took more than {seconds} s").format(seconds=f"{PROBE_TIMEOUT:g}"),
            _("the display server may not answer: log out and in again, or try QT_QPA_PLATFORM=offscreen"),
        ) from exc
    answer = dict(line.split("=", 1) for line in probe.stdout.splitlines() if "=" in line)
    if probe.returncode == 0 and "platform" in answer:
        size = answer.get("screen", "")
        screen = _("screen {size}").format(size=size) if size else _("no screen")
        return _('the "{platform}" platform plugin loads ({screen})').format(platform=answer["platform"], screen=screen)
    # Qt's own lines, without its boilerplate ("Reinstalling the application may fix this
    # problem", the list of every plugin): the fix below says what to do instead.
    messages = [
        line.strip()
        for line in probe.stderr.splitlines()
        if line.strip() and not line.startswith(("This application failed to start", "Available platform plugins"))
    ]
    said = "; ".join(messages[-3:]) or _("exit status {status}").format(status=probe.returncode)
    raise CheckFailed(_("Qt could not start ({reason})").format(reason=said), _qt_platform_fix(probe.stderr))


def _qt_platform_fix(stderr: str) -> str:
    if not sys.platform.startswith("linux"):
        return _(REINSTALL_FIX)
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    if "offscreen" not in wanted and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return _(
            "there is no display (DISPLAY and WAYLAND_DISPLAY are unset): run LoopLab on a desktop, "
            "or check everything else with QT_QPA_PLATFORM=offscreen looplab doctor"
        )
    if "could not connect to display" in stderr:
        return _("the display {display} does not answer: log out and in again, or restart the computer").format(
            display=os.environ.get("DISPLAY", "")
        )
    if "xcb" in stderr:
        return _(XCB_LIBS_FIX)
    return _(QT_LIBS_FIX)


def qt_probe() -> int:
    """``looplab doctor --qt-probe``: start Qt's GUI, say which platform plugin it chose, exit."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    screen = app.primaryScreen()
    size = screen.size() if screen is not None else None
    print(f"platform={app.platformName()}", flush=True)
    print(f"screen={f'{size.width()}x{size.height()}' if size else ''}", flush=True)
    return 0


def check_settings_location() -> str:
    """The folders LoopLab keeps its settings (one INI file, app.ui.settings) and its log in can be written to."""
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    from app.identity import APP_NAME, ORG_NAME
    from app.ui.settings import open_settings

    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    Location = QStandardPaths.StandardLocation
    settings = open_settings()
    folders = [
        Path(settings.fileName()).parent,
        Path(QStandardPaths.writableLocation(Location.AppLocalDataLocation)),
    ]
    del settings  # a QObject: freed here, on this thread, not by a collection elsewhere
    unique = list(dict.fromkeys(folders))
    for folder in unique:
        _check_writable(folder)
    return _("can write to {folders}").format(folders=", ".join(str(f) for f in unique))


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CheckFailed(
            _("cannot write to {folder} ({reason})").format(folder=folder, reason=exc.strerror or exc),
            _(
                "LoopLab saves its settings and log there: make the folder writable for your user account "
                "(or ask the computer's administrator)"
            ),
        ) from exc


# --- the command -----------------------------------------------------------------------------


CHECK_NAMES = (
    N_("Versions"),
    N_("Qt platform"),
    N_("Settings location"),
    N_("Resources"),
    N_("OS trust store"),
    N_("Demo server"),
    N_("Async fetch"),
    N_("Blocking fetch"),
    N_("Process pool"),
)
"""The checks' names in English (:attr:`CheckResult.name`); shown translated."""


def checks(host: str, port: int) -> Iterator[CheckResult]:
    """Runs every check in order, yielding each result as soon as it is known."""
    yield run_check("Versions", check_versions)
    yield run_check("Qt platform", check_qt_platform)
    yield run_check("Settings location", check_settings_location)
    yield run_check("Resources", check_resources)
    yield run_check("OS trust store", check_trust_store)
    server: list[DemoServer] = []
    yield run_check("Demo server", lambda: _started(server, host, port))
    try:
        if server:
            yield run_check("Async fetch", lambda: check_async_fetch(server[0].url))
            yield run_check("Blocking fetch", lambda: check_blocking_fetch(server[0].url))
        else:
            yield skipped("Async fetch", _("it needs the demo server"))
            yield skipped("Blocking fetch", _("it needs the demo server"))
    finally:
        for started in server:
            started.stop()
    yield run_check("Process pool", check_process_pool)


def _started(server: list[DemoServer], host: str, port: int) -> str:
    server.append(start_demo_server(host, port))
    return _("answered on {url}").format(url=f"{server[0].url}/")


def _print_now(line: str) -> None:
    print(line, flush=True)  # each line as its check ends, even into a pipe: a slow check shows


def doctor_command(host: str = "127.0.0.1", port: int = 0, out: Callable[[str], None] = _print_now) -> int:
    """``looplab doctor``: prints one line per check; returns 0 only if every check passed."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    out(_("LoopLab doctor {version}: checking that LoopLab can run here").format(version=__version__))
    # The settings check makes a Qt object while the demo server's thread will run later:
    # as in run_lab, no automatic collection that could free a Qt object on another thread.
    gc.disable()
    try:
        results: list[CheckResult] = []
        for result in checks(host, port):
            results.append(result)
            out(result.line())
    finally:
        gc.collect()  # here, on the main thread, with the server's thread stopped
        gc.enable()
    failed = [r for r in results if not r.passed]
    if failed:
        out(
            ngettext(
                "{failed} of {total} checks did not pass: {names}.", "{failed} of {total} checks did not pass: {names}.", len(results)
            ).format(failed=len(failed), total=len(results), names=", ".join(_(r.name) for r in failed))
        )
        return 1
    out(ngettext("The {total} check passed.", "All {total} checks passed.", len(results)).format(total=len(results)))
    return 0

