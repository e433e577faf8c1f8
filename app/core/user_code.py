"""Code a person wrote or edited: what is wrong with it, at its line, and the files it comes from.

A lesson's code can be edited in the window, and the playground runs anyone's ``async def
main(...)``. Such code fails in the ways code fails: it does not compile (a
:class:`CodeProblem` found before anything runs), or it raises while it runs (a problem at the
line that raised, with the person's own lines of the traceback: never LoopLab's, asyncio's or
aiohttp's). :class:`CodeEdits` keeps each lesson's edited text for the session, and
:func:`read_code_file` / :func:`write_code_file` are File > Open and Save as .py.

Qt-free. The code runs under the file name ``"<lesson ID>"`` (:func:`app.core.lessons.compile_main`),
which is how its frames are told from everyone else's.
"""

from __future__ import annotations

import ast
import concurrent.futures
import inspect
import os
import shutil
import socket
import ssl
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.code_output import CUT, MAX_LINE_CHARS
from app.core.code_tasks import CodeExit
from app.core.units import format_size
from app.i18n import _

AVAILABLE = ("session", "pool")
"""What ``main`` may ask for: LoopLab passes an aiohttp session and a process pool (``call_main``)."""
MAX_CODE_BYTES = 1_000_000
"""The largest .py file the playground opens: a program for a class, not a data file."""
TRACEBACK_FRAMES = 8
"""User frames kept of a deep traceback (the innermost ones: where it went wrong)."""

def _library_failures() -> tuple[type[BaseException], ...]:
    """The network and the pool failing under the code, said in words by app.core.faults: of the
    libraries loaded (aiohttp loads after the window's first paint, requests with the blocking
    mode or code that imports it; one not loaded raised nothing)."""
    libraries = (("aiohttp", "ClientError"), ("requests", "RequestException"))
    loaded = tuple(kind for module, name in libraries if isinstance(kind := getattr(sys.modules.get(module), name, None), type))
    return (ConnectionError, TimeoutError, socket.gaierror, ssl.SSLError, concurrent.futures.BrokenExecutor, *loaded)


def code_file_name(lesson_id: str) -> str:
    """The pseudo-file a lesson's code runs as (``compile_main`` names it so): ``"<lesson sleep>"``."""
    return f"<lesson {lesson_id}>"


@dataclass(frozen=True)
class CodeProblem:
    """What went wrong in a person's code, and where."""

    message: str
    """The exception in one line, as Python says it: "NameError: name 'x' is not defined"."""
    line: int | None
    """The 1-based line of the code to mark; None when no line of it is to blame."""
    column: int | None = None
    """The 1-based column, for a syntax error."""
    traceback: tuple[str, ...] = ()
    """The person's own frames, outermost first, one line each: "line 9, in main: undefined()"."""
    before_run: bool = False
    """True: the code could not even start, so nothing ran."""

    def saying(self, message: str) -> CodeProblem:
        """The same problem in other words (a network failure as app.core.faults says it)."""
        return replace(self, message=message)

    def one_line(self) -> str:
        """The message with its line: "NameError: name 'x' is not defined (line 9)"."""
        line = _("line {line}").format(line=self.line)
        if self.line is None or line in self.message:  # "…frozen in line 7" says it already
            return self.message
        if self.column:
            return _("{message} (line {line}, column {column})").format(message=self.message, line=self.line, column=self.column)
        return _("{message} (line {line})").format(message=self.message, line=self.line)

    def words(self) -> str:
        """Everything to show beside the code, in plain text over a few lines."""
        head = self.one_line()
        if self.before_run:
            if self.line is not None:
                return f"{head}\n" + _("Nothing ran: fix the line and press Run again.")
            return f"{head}\n" + _("Nothing ran: fix the code and press Run again.")
        if not self.traceback:
            return head
        return "\n".join([head, _("Traceback (your code only, most recent call last):"), *(f"  {frame}" for frame in self.traceback)])


def problem_before_run(exc: BaseException, lesson_id: str) -> CodeProblem:
    """The problem with code that could not start: a syntax error at its line and column, an
    error in its top-level statements at the line that raised, or a ``main`` that is missing or
    asks for what LoopLab cannot pass."""
    if isinstance(exc, SyntaxError) and exc.filename == code_file_name(lesson_id):
        column = exc.offset if exc.offset and exc.offset > 0 else None
        return CodeProblem(f"{type(exc).__name__}: {exc.msg}", exc.lineno, column, before_run=True)
    found = problem_in(exc, lesson_id)
    return CodeProblem(found.message, found.line, found.column, found.traceback, before_run=True)


def parameters_problem(main: Callable[..., object]) -> CodeProblem | None:
    """A ``main`` that asks for what LoopLab cannot pass, at its ``def`` line; None if it asks for
    nothing else than :data:`AVAILABLE`."""
    unknown = [name for name in inspect.signature(main).parameters if name not in AVAILABLE]
    if not unknown:
        return None
    code = getattr(main, "__code__", None)
    return _asks_for(unknown, code.co_firstlineno if code is not None else None)


def _asks_for(unknown: list[str], line: int | None) -> CodeProblem:
    return CodeProblem(
        _("main asks for {names}: LoopLab can pass {first} and {second} (ask for either, both or none)").format(
            names=", ".join(unknown), first=AVAILABLE[0], second=AVAILABLE[1]
        ),
        line,
        before_run=True,
    )


def check_before_run(source: str, lesson_id: str) -> CodeProblem | None:
    """What stops ``source`` from running at all, found without running any of it: a syntax
    error, no ``async def main`` (or a plain ``def main``), a ``main`` that asks for what LoopLab
    cannot pass, or an ``asyncio.run(...)`` among the top-level statements (LoopLab runs ``main``
    itself, on its own loop: the line would fail, after the statements before it had run).
    None when the code may run: its top-level statements then run as part of the run, under
    the freeze guard (``LabController._execute_lesson``)."""
    try:
        tree = compile(source, code_file_name(lesson_id), "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the text
        return problem_before_run(exc, lesson_id)
    mains = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main"]
    if not mains:
        if _binds_main(tree):
            return None  # made some other way (an import, an assignment): it is checked once it exists
        return CodeProblem(
            _("There is no async def main: LoopLab runs your code's main (it may ask for session and/or pool)"), None, before_run=True
        )
    main = mains[-1]  # as Python does: the last definition wins
    if not isinstance(main, ast.AsyncFunctionDef):
        return CodeProblem(_("main is a plain def: write async def main, LoopLab awaits it"), main.lineno, before_run=True)
    arguments = main.args
    named = [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
    starred = [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    unknown = [name for name in named + starred if name not in AVAILABLE]
    if unknown:
        return _asks_for(unknown, main.lineno)
    for node in tree.body:
        if _is_asyncio_run(node):
            return CodeProblem(
                _(
                    "asyncio.run() here would run main a second time: LoopLab runs main for you. "
                    'Put it under if __name__ == "__main__": as the lessons do'
                ),
                node.lineno,
                before_run=True,
            )
    return None


def _binds_main(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "main" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((alias.asname or alias.name) == "main" for alias in node.names):
            return True
        if isinstance(node, ast.ClassDef) and node.name == "main":
            return True
    return False


def _is_asyncio_run(node: ast.stmt) -> bool:
    """``asyncio.run(...)`` as a top-level statement (alone, or assigned): not under an ``if``."""
    call = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "run"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "asyncio"
    )


def problem_in(exc: BaseException, lesson_id: str) -> CodeProblem:
    """The problem an exception raised by running code is, at the innermost line of that code
    it passed through (None when it never did), with the code's own frames only."""
    leaf = exc
    # A TaskGroup's failure: the first error inside it says what went wrong, and where; the
    # group's own frames (the "async with") lead to the task's.
    while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
        leaf = leaf.exceptions[0]
    frames = _own_frames(exc, lesson_id) + (_own_frames(leaf, lesson_id) if leaf is not exc else [])
    lines = [f"line {frame.lineno}, in {frame.name}" + (f": {frame.line.strip()}" if frame.line else "") for frame in frames[-TRACEBACK_FRAMES:]]
    message = _exception_line(leaf)
    if leaf is not exc:
        message = _("{error}; first: {first}").format(error=_exception_line(exc), first=message)
    return CodeProblem(message, frames[-1].lineno if frames else None, traceback=tuple(lines))


def is_library_failure(exc: BaseException) -> bool:
    """True for the network or the process pool failing under the code (a refused connection, a
    timeout), which :func:`app.core.faults.describe_error` says best; False for the code's own
    errors (a NameError, a ZeroDivisionError, a file it could not open)."""
    return isinstance(exc, _library_failures())


def failed_url(exc: BaseException, default: str) -> str:
    """The address a failing request was for, as its exception knows it (requests' request,
    aiohttp's request info or the host it could not connect to), else ``default``: the words
    for a refused connection must name the host the code asked for, not the demo server."""
    error: BaseException | None = exc
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if url := getattr(getattr(error, "request", None), "url", None):  # requests
            return str(url)
        if (info := getattr(error, "request_info", None)) is not None:  # aiohttp, with an answer
            return str(info.real_url)
        aiohttp = sys.modules.get("aiohttp")  # loaded if the error is one of its own
        if aiohttp is not None and isinstance(error, aiohttp.ClientConnectorError):  # aiohttp, no connection: host and port only
            return f"{'https' if error.port == 443 else 'http'}://{error.host}:{error.port}"
        error = error.__cause__ or error.__context__
    return default


def main_parameters(source: str) -> frozenset[str]:
    """What the ``async def main`` in ``source`` asks for, read without running anything
    (empty when it does not compile or has no such function)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the text
        return frozenset()
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef) and node.name == "main":
            arguments = node.args
            return frozenset(a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])
    return frozenset()


def imported_packages(source: str) -> frozenset[str]:
    """The top-level packages ``source`` imports anywhere (``import requests.adapters`` gives
    "requests"), read without running anything (empty when it does not compile)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the text
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def _own_frames(exc: BaseException, lesson_id: str) -> list[traceback.FrameSummary]:
    name = code_file_name(lesson_id)
    return [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == name]


def _exception_line(exc: BaseException) -> str:
    # As Python prints it, "Did you mean" included where Python adds one; one line.
    if isinstance(exc, CodeExit):  # sys.exit() in one of the code's tasks: said as itself
        exc = exc.original
    text = " ".join(line.strip() for line in traceback.format_exception_only(type(exc), exc) if line.strip())
    # Cut as a printed line is: a whole web page as the message would hold the window while its
    # labels lay it out, and a screen reader would read all of it (the log keeps it whole).
    return (text[:MAX_LINE_CHARS] + CUT if len(text) > MAX_LINE_CHARS else text) or type(exc).__name__


class CodeEdits:
    """The code each lesson was edited into, for this session: what the editor shows (and Run
    runs) instead of the lesson's own code until Reset."""

    def __init__(self) -> None:
        self._edited: dict[str, str] = {}

    def code(self, lesson_id: str, original: str) -> str:
        """What to show for the lesson: its edited text, or ``original`` (its own code)."""
        return self._edited.get(lesson_id, original)

    def is_edited(self, lesson_id: str) -> bool:
        return lesson_id in self._edited

    def record(self, lesson_id: str, text: str, original: str) -> bool:
        """The editor now says ``text``: kept as the lesson's edit unless it is the lesson's own
        code again (typed back, or undone). True if the lesson is now edited."""
        if text == original:
            self._edited.pop(lesson_id, None)
            return False
        self._edited[lesson_id] = text
        return True

    def forget(self, lesson_id: str) -> None:
        """Reset: the lesson shows its own code again."""
        self._edited.pop(lesson_id, None)


class CodeFileError(Exception):
    """A .py file that cannot be opened or saved; the message says why, in plain words."""


def read_code_file(path: Path) -> str:
    """The text of a .py file for the playground: UTF-8 (a BOM is fine), at most
    :data:`MAX_CODE_BYTES`, line ends made ``\\n``. :class:`CodeFileError` otherwise."""
    try:
        with path.open("rb") as source:
            data = source.read(MAX_CODE_BYTES + 1)
    except OSError as exc:
        raise CodeFileError(_("Could not open {name}: {reason}.").format(name=path.name, reason=exc.strerror or exc)) from exc
    if len(data) > MAX_CODE_BYTES:
        raise CodeFileError(
            _("{name} is larger than {size}: too big for the playground. Open a smaller program.").format(
                name=path.name, size=format_size(MAX_CODE_BYTES)
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodeFileError(
            _("{name} is not UTF-8 text (byte {byte} at position {position}). Save it as UTF-8 and open it again.").format(
                name=path.name, byte=f"{data[exc.start]:#04x}", position=exc.start
            )
        ) from exc
    if "\x00" in text:
        raise CodeFileError(_("{name} holds NUL bytes: it is not a Python program.").format(name=path.name))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_code_file(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Writes exactly ``text`` (UTF-8, line ends as they are), whole or not at all: a file being
    replaced stays as it was if writing fails. :class:`CodeFileError` when it cannot, or when
    ``path`` exists and ``overwrite`` is false."""
    if not overwrite and path.exists():
        raise CodeFileError(_("{name} already exists in {folder}: choose another name.").format(name=path.name, folder=path.parent))
    temp_name = ""
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
        # mkstemp makes the file private: a replaced file keeps its mode, a new one is readable.
        if path.exists():
            shutil.copymode(path, temp_name)
        else:
            os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)
        raise CodeFileError(_("Could not save {name}: {reason}.").format(name=path.name, reason=exc.strerror or exc)) from exc

