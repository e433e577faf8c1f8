"""Code people write or edit, without a window: errors at their line with only their own frames,
edits kept per lesson, .py files read and written, predictions and the verdicts of code that
claims nothing.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.core.code_output import CUT, MAX_LINE_CHARS
from app.core.lessons import LESSONS, LessonSetup, call_main, compile_main, lesson_by_id
from app.core.predictions import Prediction, compare, duration_choices, nearest
from app.core.run import FetchMode, RunRequest
from app.core.source_text import indent_after
from app.core.user_code import (
    MAX_CODE_BYTES,
    CodeEdits,
    CodeFileError,
    check_before_run,
    imported_packages,
    main_parameters,
    parameters_problem,
    problem_before_run,
    problem_in,
    read_code_file,
    write_code_file,
)

SETUP = LessonSetup(base_url="http://127.0.0.1:65535")


def failure(source: str, lesson_id: str = "playground") -> BaseException:
    """What running ``source``'s main raises, as the lab runs it."""
    main = compile_main(source, lesson_id)
    with pytest.raises(Exception) as caught:
        asyncio.run(call_main(main, {}))
    return caught.value


# --- read without running ----------------------------------------------------------------------


def test_the_packages_code_imports_are_read_without_running_it() -> None:
    source = "import asyncio, requests.adapters as a\nfrom urllib.parse import urlsplit\nfrom . import x\n\ndef f():\n    import numpy\n"
    assert imported_packages(source) == {"asyncio", "requests", "urllib", "numpy"}
    assert imported_packages("import (\n") == frozenset()  # does not compile: nothing
    thread = lesson_by_id("thread")
    for blocking in (False, True):  # both variants of the thread lesson call requests.get
        assert "requests" in imported_packages(thread.code(LessonSetup(base_url="http://127.0.0.1:8080", blocking=blocking)))
    assert "requests" not in imported_packages(lesson_by_id("gather").code(SETUP))


# --- errors at the line ----------------------------------------------------------------------


def test_a_syntax_error_is_found_at_its_line_and_column_before_anything_runs() -> None:
    source = "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(0.1\n"
    with pytest.raises(SyntaxError) as caught:
        compile_main(source, "sleep")
    problem = problem_before_run(caught.value, "sleep")
    assert problem.before_run and problem.line == 5 and problem.column == 24  # the "(" left open
    assert problem.message == "SyntaxError: '(' was never closed"
    assert problem.one_line() == "SyntaxError: '(' was never closed (line 5, column 24)"
    assert "Nothing ran" in problem.words()


def test_an_indentation_error_says_so() -> None:
    with pytest.raises(SyntaxError) as caught:
        compile_main("async def main():\nreturn 1\n", "playground")
    problem = problem_before_run(caught.value, "playground")
    assert problem.message.startswith("IndentationError: ") and problem.line == 2


def test_an_error_in_the_top_level_statements_is_at_its_line() -> None:
    with pytest.raises(ModuleNotFoundError) as caught:
        compile_main("import asyncio\nimport no_such_module_here\n\nasync def main():\n    pass\n", "playground")
    problem = problem_before_run(caught.value, "playground")
    assert problem.line == 2 and "No module named 'no_such_module_here'" in problem.message


def test_a_main_that_asks_for_what_the_lab_cannot_pass_is_refused_at_its_def() -> None:
    main = compile_main("import asyncio\n\n\nasync def main(session, database):\n    pass\n", "playground")
    problem = parameters_problem(main)
    assert problem is not None and problem.line == 4 and problem.before_run
    assert "database" in problem.message and "session and pool" in problem.message
    assert parameters_problem(compile_main("async def main(pool, session):\n    pass\n", "playground")) is None


def test_a_name_error_is_at_the_line_that_raised_with_only_the_codes_own_frames() -> None:
    source = "import asyncio\n\n\ndef helper():\n    return undefined_name + 1\n\n\nasync def main():\n    await asyncio.sleep(0)\n    helper()\n"
    problem = problem_in(failure(source), "playground")
    assert problem.line == 5
    assert problem.message.startswith("NameError: name 'undefined_name' is not defined")
    assert problem.traceback == ("line 10, in main: helper()", "line 5, in helper: return undefined_name + 1")
    words = problem.words()
    for noise in ("asyncio", "app/", "File ", "lessons.py", "test_user_code"):
        assert noise not in words, words


def test_an_error_raised_inside_a_library_is_at_the_codes_last_line_on_the_way() -> None:
    source = "import json\n\n\nasync def main():\n    json.loads('{not json')\n"
    problem = problem_in(failure(source), "playground")
    assert problem.line == 5 and "JSONDecodeError: Expecting property name" in problem.message
    assert problem.traceback == ("line 5, in main: json.loads('{not json')",)  # not json's own frames


def test_a_taskgroups_failure_names_the_first_error_inside_it() -> None:
    source = (
        "import asyncio\n\n\nasync def boom():\n    raise ValueError('no')\n\n\n"
        "async def main():\n    async with asyncio.TaskGroup() as group:\n        group.create_task(boom())\n"
    )
    problem = problem_in(failure(source), "playground")
    assert problem.line == 5 and problem.message.endswith("(1 sub-exception); first: ValueError: no")
    assert problem.traceback == ("line 9, in main: async with asyncio.TaskGroup() as group:", "line 5, in boom: raise ValueError('no')")


def test_an_error_outside_the_code_has_no_line() -> None:
    try:
        raise RuntimeError("not theirs")
    except RuntimeError as exc:
        problem = problem_in(exc, "playground")
    assert problem.line is None and problem.traceback == () and problem.one_line() == "RuntimeError: not theirs"


def test_a_huge_error_message_is_cut_as_a_long_printed_line_is() -> None:
    # raise RuntimeError(await response.text()): a whole web page as the message. Shown whole, it
    # held the window about 5 s (each label laying out a million characters) and was read out whole.
    problem = problem_in(failure("async def main():\n    raise ValueError('x' * 1_000_000)\n"), "playground")
    assert problem.line == 2
    assert problem.message == "ValueError: " + "x" * (MAX_LINE_CHARS - len("ValueError: ")) + CUT
    short = problem_in(failure("async def main():\n    raise ValueError('x' * 900)\n"), "playground")
    assert short.message == "ValueError: " + "x" * 900  # a long one that fits stays whole


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("import time\nprint('hi')\n", None, "There is no async def main"),
        ("import time\n\n\ndef main():\n    time.sleep(1)\n", 4, "main is a plain def: write async def main"),
        ("async def main(session, database):\n    pass\n", 1, "main asks for database"),
        ("async def main(*args):\n    pass\n", 1, "main asks for args"),
        (
            "import asyncio\n\n\nasync def main():\n    pass\n\nasyncio.run(main())\n",
            7,
            'LoopLab runs main for you. Put it under if __name__ == "__main__":',
        ),
        ("import asyncio\n\n\nasync def main():\n    await asyncio.sleep(0.1\n", 5, "SyntaxError: '(' was never closed"),
    ],
    ids=["no-main", "plain-def", "unknown-parameter", "star-args", "asyncio-run-at-the-top", "syntax-error"],
)
def test_code_that_cannot_start_is_refused_before_any_of_it_runs(source: str, line: int | None, words: str) -> None:
    # Read, never run: a top-level print or sleep before the mistake must not happen on Run.
    problem = check_before_run("import sys\nsys.exit('ran')\n" + source, "playground")
    assert problem is not None and problem.before_run and words in problem.message
    assert problem.line == (line + 2 if line is not None else None)
    assert problem.words().endswith(f"Nothing ran: fix the {'line' if line is not None else 'code'} and press Run again.")


@pytest.mark.parametrize(
    "source",
    [
        "import time\ntime.sleep(60)\n\n\nasync def main(session, pool):\n    pass\n",  # runs, under the guard
        'import asyncio\n\n\nasync def main():\n    pass\n\nif __name__ == "__main__":\n    asyncio.run(main())\n',
        "import asyncio\n\n\nasync def real():\n    pass\n\nmain = real\n",  # a main made otherwise: checked once it exists
    ],
    ids=["top-level-statements", "guarded-asyncio-run", "main-assigned"],
)
def test_code_that_may_start_is_let_through(source: str) -> None:
    assert check_before_run(source, "playground") is None


def test_every_lessons_own_code_may_start() -> None:
    for lesson in LESSONS:
        assert check_before_run(lesson.code(SETUP), lesson.id) is None, lesson.id


def test_mains_parameters_are_read_without_running_anything() -> None:
    assert main_parameters("import sys\nsys.exit(1)\n\nasync def main(session, pool):\n    pass\n") == {"session", "pool"}
    assert main_parameters("async def main(:\n") == frozenset()
    assert main_parameters("def main(session):\n    pass\n") == frozenset()  # not a coroutine function


# --- indentation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "next_indent"),
    [
        ("async def main():", "    "),
        ("    for url in urls:  # each one", "        "),
        ("    x = 1", "    "),
        ("        return x", "    "),
        ("    pass", ""),
        ("    s = 'a:'", "    "),
        ("", ""),
    ],
)
def test_a_new_line_is_indented_as_the_line_before_says(line: str, next_indent: str) -> None:
    assert indent_after(line) == next_indent


# --- edits -----------------------------------------------------------------------------------


def test_edits_are_kept_per_lesson_until_reset_or_typed_back() -> None:
    edits = CodeEdits()
    assert edits.code("sleep", "original") == "original" and not edits.is_edited("sleep")
    assert edits.record("sleep", "changed", "original")
    assert edits.code("sleep", "original") == "changed" and edits.code("gather", "other") == "other"
    assert not edits.record("sleep", "original", "original")  # typed back: the lesson's own again
    assert not edits.is_edited("sleep")
    edits.record("sleep", "changed", "original")
    edits.forget("sleep")
    assert edits.code("sleep", "original") == "original"


def test_a_request_runs_the_edited_code_and_only_that() -> None:
    sleep = lesson_by_id("sleep")
    own = RunRequest.for_lesson(sleep, SETUP, source=sleep.code(SETUP))
    assert not own.edited and own.code() == sleep.code(SETUP)
    edited = RunRequest.for_lesson(sleep, SETUP, source="import time\n\n\nasync def main():\n    time.sleep(1)\n")
    assert edited.edited and edited.code().endswith("time.sleep(1)\n")
    assert edited.mode is FetchMode.ASYNC
    blocking = LessonSetup(base_url=SETUP.base_url, blocking=True)
    assert RunRequest.for_lesson(sleep, blocking).mode is FetchMode.BLOCKING  # the lesson's own blocking variant
    # Edited, it runs on the loop like any async code: whether it blocks is what the run measures.
    assert RunRequest.for_lesson(sleep, blocking, source="async def main():\n    pass\n").mode is FetchMode.ASYNC


# --- files -----------------------------------------------------------------------------------


def test_a_py_file_round_trips_exactly(tmp_path: Path) -> None:
    code = "# café ✓\nimport asyncio\n\n\nasync def main(session):\n\tawait asyncio.sleep(0)  # a tab, kept\n"
    path = tmp_path / "mine.py"
    write_code_file(path, code)
    assert path.read_bytes() == code.encode("utf-8")
    assert read_code_file(path) == code
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_reading_makes_line_ends_newlines_and_skips_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.py"
    path.write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\rc = 3\n")
    assert read_code_file(path) == "a = 1\nb = 2\nc = 3\n"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"x = '\xff\xfe'\n", "not UTF-8 text (byte 0xff at position 5)"),
        (b"a" * (MAX_CODE_BYTES + 1), "larger than 1.0 MB"),
        (b"x = 1\x00\n", "NUL bytes"),
    ],
    ids=["not-utf8", "huge", "binary"],
)
def test_a_file_that_is_no_program_is_refused_with_a_reason(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    with pytest.raises(CodeFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_code_file(path)


def test_a_file_that_cannot_be_read_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(CodeFileError, match="Could not open missing.py: No such file or directory"):
        read_code_file(tmp_path / "missing.py")
    with pytest.raises(CodeFileError, match="Could not open"):
        read_code_file(tmp_path)  # a folder


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="file modes (root reads anything)")
def test_an_unreadable_file_and_an_unwritable_folder_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    with pytest.raises(CodeFileError, match="Permission denied"):
        read_code_file(secret)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CodeFileError, match="Could not save mine.py: Permission denied"):
            write_code_file(locked / "mine.py", "x = 1\n")
        assert list(locked.iterdir()) == []  # nothing half-written
    finally:
        locked.chmod(0o700)


def test_a_file_that_cannot_be_written_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(CodeFileError, match="Could not save mine.py: No such file or directory"):
        write_code_file(tmp_path / "no-such-folder" / "mine.py", "x = 1\n")


def test_saving_never_replaces_a_file_it_was_not_asked_to(tmp_path: Path) -> None:
    path = tmp_path / "kept.py"
    path.write_text("mine\n")
    with pytest.raises(CodeFileError, match="already exists"):
        write_code_file(path, "yours\n", overwrite=False)
    assert path.read_text() == "mine\n"


# --- predictions -----------------------------------------------------------------------------


def test_the_choices_surround_the_lessons_time_with_its_tempting_wrong_answers() -> None:
    assert duration_choices(1.0) == (0.25, 0.5, 1.0, 2.0, 10.0)  # gather: all at once, or one after another
    assert duration_choices(2.0) == (0.5, 1.0, 2.0, 4.0, 20.0)
    assert nearest(duration_choices(1.0), 1.2) == 1.0 and nearest(duration_choices(1.0), 8.0) == 10.0


def test_a_prediction_is_set_against_what_happened() -> None:
    choices = duration_choices(2.0)
    both_wrong = compare(Prediction(2.0 * 10, True, choices), wall_time=2.03, longest_freeze=0.012)
    assert both_wrong.text.startswith("You predicted about 20 s and a frozen window: it took 2.03 s and the window stayed alive.")
    assert both_wrong.time_right is False and both_wrong.freeze_right is False
    right = compare(Prediction(2.0, True, choices), wall_time=2.01, longest_freeze=1.99)
    assert right.text == "You predicted about 2 s and a frozen window: it took 2.01 s and the window froze for 1.99 s. Right on both."
    only_window = compare(Prediction(None, False, choices), wall_time=2.0, longest_freeze=0.01)
    assert only_window.text == "You predicted a window that stays alive: the window stayed alive. Right!"
    assert compare(Prediction(), 1.0, 0.0).text == ""
