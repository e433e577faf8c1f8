"""The lessons as text and as claims: the code they show, the work they run, and their verdicts.

No window here: what a lesson shows and how it judges a run are plain functions of its setup
and of the numbers measured. The runs themselves are in tests/ui/test_lessons.py.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import concurrent.futures.process
import inspect
import math
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core.lag import FROZEN
from app.core.lesson_work import COUNT_PRIMES_SOURCE, LessonPool
from app.core.lessons import ARRIVALS, LESSON_IDS, LESSONS, SCALES, LessonSetup, compile_main, lesson_by_id
from tests.test_cli import serving

BASE_URL = "http://127.0.0.1:65535"
"""The longest address the demo server can have: the code's lines must fit with it."""
CODE_VIEW_COLUMNS = 62
"""What the code view shows without a horizontal scroll bar."""
NOT_AS_CLAIMED = "Not what the lesson claims"


def setup(*, scale: float = 1.0, blocking: bool = False, limit: int = 3) -> LessonSetup:
    return LessonSetup(base_url=BASE_URL, scale=scale, blocking=blocking, limit=limit)


def every_setup() -> list[LessonSetup]:
    """Every setting the lab offers: each scale, both toggle positions, each limit."""
    return [setup(scale=s, blocking=b, limit=n) for s in SCALES for b in (False, True) for n in range(1, 11)]


# --- count_primes: in the lesson's own file, and still able to run in another process ----------


def lesson_module(lesson_id: str, **settings: Any) -> dict[str, Any]:
    """The namespace a lesson's code runs in, as the lab compiles it."""
    return compile_main(lesson_by_id(lesson_id).code(setup(**settings)), lesson_id).__globals__


@pytest.mark.parametrize("blocking", [False, True], ids=["pool", "inline"])
def test_the_cpu_code_defines_count_primes_itself_line_for_line(blocking: bool) -> None:
    code = lesson_by_id("cpu").code(setup(blocking=blocking))
    lines = code.splitlines()
    source = COUNT_PRIMES_SOURCE.splitlines()
    assert len(source) >= 5 and source[0].startswith("def count_primes(")
    start = lines.index(source[0])
    assert lines[start : start + len(source)] == source  # all of it, in order, nothing in between
    assert "import" not in " ".join(line for line in lines if "count_primes" in line)  # not LoopLab's


def test_count_primes_counts_the_primes_below_its_limit() -> None:
    count_primes = lesson_module("cpu")["count_primes"]
    assert count_primes(100) == 25
    assert [count_primes(n) for n in (0, 2, 3, 10, 11, 12)] == [0, 0, 1, 4, 4, 5]


def spawn_pool() -> concurrent.futures.ProcessPoolExecutor:
    return concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def test_a_plain_spawned_pool_cannot_run_a_function_the_lessons_code_defines() -> None:
    # The pitfall LessonPool exists for: a fresh process cannot import looplab_lesson_cpu.
    count_primes = lesson_module("cpu")["count_primes"]
    with spawn_pool() as pool, pytest.raises(concurrent.futures.process.BrokenProcessPool):
        pool.submit(count_primes, 1000).result(timeout=60)


def test_the_lessons_count_primes_runs_in_the_labs_spawned_pool() -> None:
    # What the pool variant of the cpu lesson does: the worker, a new interpreter, gets the
    # lesson's text with the function and runs it under the same module name.
    module = lesson_module("cpu")
    count_primes = module["count_primes"]
    assert count_primes.__module__ == "looplab_lesson_cpu" and sys.modules["looplab_lesson_cpu"].count_primes is count_primes
    with LessonPool(max_workers=1) as pool:
        assert pool._mp_context.get_start_method() == "spawn"  # type: ignore[attr-defined]
        pid = pool.submit(os.getpid).result(timeout=60)
        assert pid != os.getpid()
        assert pool.submit(count_primes, 1000).result(timeout=60) == 168
        # The lesson's main, as the lab runs it: the count goes through run_in_executor.
        main = module["main"]
        assert asyncio.run(main(pool)) is None
        # The same worker after the code changed (another scale): the new text is run there.
        assert pool.submit(lesson_module("cpu", scale=2.0)["count_primes"], 100).result(timeout=60) == 25
        assert pool.submit(count_primes, 12).result(timeout=60) == 5  # and an older function still works


def test_the_labs_pool_sends_a_lessons_classes_and_takes_them_back() -> None:
    # Code a student writes may send its own objects to the pool and get them back.
    code = """
import dataclasses


@dataclasses.dataclass
class Point:
    x: int
    y: int


def mirror(point):
    return Point(point.y, point.x)


async def main(pool):
    pass
"""
    namespace = compile_main(code, "pool_objects").__globals__
    point_class = namespace["Point"]
    try:
        with LessonPool(max_workers=1) as pool:
            mirrored = pool.submit(namespace["mirror"], point_class(1, 2)).result(timeout=60)
            assert type(mirrored) is point_class and (mirrored.x, mirrored.y) == (2, 1)
            with pytest.raises((pickle.PicklingError, AttributeError), match="pickle"):
                pool.submit(lambda: 1)  # said at once, in the caller's line, not later in the pool's thread
    finally:
        sys.modules.pop("looplab_lesson_pool_objects", None)


def test_the_labs_pool_runs_any_other_function_as_usual() -> None:
    with LessonPool(max_workers=1) as pool:
        assert pool.submit(divmod, 7, 2).result(timeout=60) == (3, 1)
        assert pool.submit(sorted, [3, 1], reverse=True).result(timeout=60) == [3, 1]


@pytest.mark.parametrize("blocking", [False, True], ids=["pool", "inline"])
def test_the_cpu_code_is_built_without_reading_source_files(monkeypatch: pytest.MonkeyPatch, blocking: bool) -> None:
    # An installed LoopLab may ship only compiled files: inspect cannot find the source there.
    def no_source(_obj: object) -> str:
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect, "getsource", no_source)
    monkeypatch.setattr(inspect, "getsourcelines", no_source)
    lesson = lesson_by_id("cpu")
    code = lesson.code(setup(blocking=blocking))
    assert "count_primes(" in code
    main = compile_main(code, "cpu")
    assert inspect.iscoroutinefunction(main)


# --- the code runs anywhere: python lesson.py, plain Python and aiohttp ---------------------

ALLOWED_IMPORTS = {"asyncio", "time", "concurrent", "dataclasses", "aiohttp", "requests"}
"""What a lesson's file may import: the standard library it needs, aiohttp, and requests (the
thread lesson's blocking library). Never LoopLab's own modules."""


def every_variant(base_url: str = BASE_URL, scale: float = 0.25) -> list[tuple[str, LessonSetup]]:
    """(file name, setup) for every variant of every lesson: both toggle positions where the
    toggle picks one, the default and another limit where the lesson has a limit."""
    found = []
    for lesson in LESSONS:
        for blocking in (False, True) if lesson.toggle_picks_variant else (False,):
            for limit in (3, 7) if lesson.uses_limit else (3,):
                name = f"{lesson.id}{'-blocking' if blocking else ''}{f'-{limit}' if lesson.uses_limit else ''}.py"
                found.append((name, LessonSetup(base_url=base_url, scale=scale, blocking=blocking, limit=limit)))
    return found


def imported_modules(code: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "").split(".")[0] if not node.level else ".")
    return found


@pytest.mark.parametrize(("name", "each"), every_variant(), ids=[name for name, _each in every_variant()])
def test_a_lessons_file_imports_nothing_of_looplabs_and_names_the_server_once(name: str, each: LessonSetup) -> None:
    lesson = lesson_by_id(name.split("-")[0].removesuffix(".py"))
    code = lesson.code(each)
    assert imported_modules(code) <= ALLOWED_IMPORTS, imported_modules(code)
    assert 'if __name__ == "__main__":' in code and "asyncio.run(" in code
    if "session" in code or "requests" in code:  # every lesson that talks to a server
        (line,) = [line for line in code.splitlines() if line.startswith("SERVER = ")]
        assert line == f'SERVER = "{BASE_URL}"'
        assert code.count(BASE_URL) == 1  # one place to change it
        assert "httpbin" in code


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_inside_looplab_the_files_main_block_does_not_run(lesson_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    main = compile_main(lesson_by_id(lesson_id).code(setup(scale=0.25)), lesson_id)
    assert main.__globals__["__name__"] == f"looplab_lesson_{lesson_id}"
    assert main.__code__.co_filename == f"<lesson {lesson_id}>"
    assert sys.modules[f"looplab_lesson_{lesson_id}"].main is main
    assert capsys.readouterr().out == ""  # no "Finished in", no asyncio.run of its own


def test_every_lessons_file_runs_with_plain_python_against_looplab_serve(tmp_path: Path) -> None:
    # Each variant's code exactly as the code view shows it, written to a file and run as
    # `python file.py` (isolated: no PYTHONPATH, no user site), against `looplab serve` on a free
    # port: the address is already in the code, as Lesson.code got it.
    with serving() as (_proc, base_url):
        files = []
        for name, each in every_variant(base_url):
            path = tmp_path / name
            path.write_text(lesson_by_id(name.split("-")[0].removesuffix(".py")).code(each), encoding="utf-8")
            files.append((path, each))

        def run(path: Path) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-I", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)

        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as runner:
            results = list(runner.map(run, [path for path, _each in files]))

    for (path, each), result in zip(files, results, strict=True):
        assert result.returncode == 0, f"{path.name}:\n{result.stdout}\n{result.stderr}"
        assert result.stderr == "", f"{path.name}: {result.stderr}"
        lines = result.stdout.splitlines()
        took = re.fullmatch(r"Finished in (\d+\.\d\d) s", lines[-1])
        assert took, f"{path.name}: {result.stdout}"
        lesson = lesson_by_id(path.stem.split("-")[0])
        if lesson.claims_duration:  # the lesson's claim holds outside LoopLab too (with room for 3 at once on 2 cores)
            expected = lesson.expected_seconds(each)
            assert expected - 0.02 <= float(took.group(1)) <= 1.2 * expected + 0.25, f"{path.name}: {result.stdout}"
        said = lines[:-1]
        if lesson.id == "as_completed":  # by arrival, not by the list's order
            arrived = [float(line.rsplit("/delay/", 1)[1]) for line in said]
            assert arrived == sorted(arrived) != [d * each.scale for d in ARRIVALS]
            assert [line.split(" in: ")[0] for line in said] == [f"{n} of 4" for n in range(1, 5)]
        elif lesson.id == "taskgroup":
            assert said == ["HTTP 500: the rest were cancelled"]
        elif lesson.id == "timeout":
            assert said == [f"Gave up on {base_url}/delay/1.25"]
        elif lesson.id == "cancel":
            assert said == ["download: finally ran", "cancelled: True"]
        elif lesson.id == "playground":  # the template prints the three statuses
            assert said == ["[200, 200, 200]"]
        else:
            assert said == [], f"{path.name}: {result.stdout}"


# --- the code fits the code view -------------------------------------------------------------


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_line_of_a_lessons_code_fits_the_code_view(lesson_id: str) -> None:
    lesson = lesson_by_id(lesson_id)
    too_wide = {
        line
        for each in every_setup()
        for line in lesson.code(each).splitlines()
        if len(line) > CODE_VIEW_COLUMNS
    }
    assert not too_wide, "\n".join(f"{len(line)}: {line}" for line in sorted(too_wide))


# --- verdicts: the claim against the measurement ---------------------------------------------


def test_the_lessons_freeze_line_is_the_one_every_widget_uses() -> None:
    assert FROZEN == pytest.approx(0.05)  # the long-task line: the meter, the bands, the report


@pytest.mark.parametrize(
    ("longest_freeze", "alive"),
    [(0.0, True), (0.049, True), (0.0495, False), (FROZEN, False), (0.064, False), (1.9, False)],
)
def test_an_async_variant_is_alive_only_below_the_freeze_line(longest_freeze: float, alive: bool) -> None:
    verdict = lesson_by_id("sleep").verdict(setup(blocking=False), wall_time=2.0, longest_freeze=longest_freeze)
    assert verdict.as_expected is alive
    assert ("stayed alive" in verdict.text) is alive
    assert (NOT_AS_CLAIMED in verdict.text) is not alive


def test_a_blocking_variant_that_did_not_freeze_is_off() -> None:
    verdict = lesson_by_id("sleep").verdict(setup(blocking=True), wall_time=2.0, longest_freeze=0.004)
    assert not verdict.as_expected
    assert NOT_AS_CLAIMED in verdict.text


def test_a_blocking_variant_that_froze_throughout_is_as_claimed() -> None:
    verdict = lesson_by_id("sleep").verdict(setup(blocking=True), wall_time=2.02, longest_freeze=1.98)
    assert verdict.as_expected, verdict.text
    assert "froze for 1.98 s" in verdict.text


@pytest.mark.parametrize(
    ("wall_time", "longest_freeze", "froze"),
    [(0.04, 0.035, False), (0.049, 0.049, False), (0.06, FROZEN, True), (0.3, 0.29, True)],
)
def test_a_blocking_variant_froze_only_from_the_frozen_threshold_on(wall_time: float, longest_freeze: float, froze: bool) -> None:
    # A count that was over in 40 ms, all of it stalled: a stutter, not "frozen" (the meter, the
    # timeline's bands and the report all draw the line at 50 ms, and so does the lesson).
    verdict = lesson_by_id("cpu").verdict(setup(blocking=True), wall_time=wall_time, longest_freeze=longest_freeze)
    assert verdict.as_expected is froze, verdict.text


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSONS if lesson.claims_duration])
@pytest.mark.parametrize("off_by", [0.7, 1.3])
def test_a_run_whose_time_is_30_percent_off_is_off(lesson_id: str, off_by: float) -> None:
    lesson = lesson_by_id(lesson_id)
    expected = lesson.expected_seconds(setup())
    assert lesson.verdict(setup(), expected * 1.02, 0.01).as_expected  # the same run on time is fine
    verdict = lesson.verdict(setup(), expected * off_by, 0.01)
    assert not verdict.as_expected
    assert NOT_AS_CLAIMED in verdict.text


def test_cpu_makes_no_claim_on_time() -> None:
    cpu = lesson_by_id("cpu")
    assert not cpu.claims_duration
    assert all(lesson.claims_duration for lesson in LESSONS if lesson.id not in ("cpu", "playground"))  # the playground claims nothing
    for wall_time in (0.3, 2.0, 9.0):  # a fast or a slow computer: neither is the lesson
        verdict = cpu.verdict(setup(blocking=False), wall_time=wall_time, longest_freeze=0.01)
        assert verdict.as_expected, verdict.text
        assert "expected about" not in verdict.text.lower()
        assert "took" in verdict.text.lower()
    frozen = cpu.verdict(setup(blocking=True), wall_time=9.0, longest_freeze=8.9)
    assert frozen.as_expected and "expected about" not in frozen.text.lower()
    for variant in (False, True):
        assert "about" not in cpu.expectation(setup(blocking=variant))


def test_a_lesson_that_claims_a_time_says_which() -> None:
    verdict = lesson_by_id("sequential").verdict(setup(), wall_time=5.02, longest_freeze=0.01)
    assert verdict.as_expected
    assert verdict.text.startswith("Expected about 5.00 s, took 5.02 s")


def number_in(code: str, pattern: str) -> float:
    """The number ``pattern``'s group finds in ``code``: what the code really waits for."""
    found = re.search(pattern, code)
    assert found, pattern
    return float(found.group(1))


@pytest.mark.parametrize("scale", SCALES)
def test_each_pattern_lessons_claim_is_the_time_its_code_waits(scale: float) -> None:
    def claim_and_code(lesson_id: str, **settings: Any) -> tuple[float, str]:
        each = setup(scale=scale, **settings)
        lesson = lesson_by_id(lesson_id)
        return lesson.expected_seconds(each), lesson.code(each)

    # as_completed: as long as the slowest request; the order changes, not the time.
    claim, code = claim_and_code("as_completed")
    delays = [float(d) for d in re.search(r"for delay in \[([^\]]+)\]", code).group(1).split(", ")]  # type: ignore[union-attr]
    assert claim == pytest.approx(max(delays)) and delays != sorted(delays)
    # cancel: main cancels the download when its sleep is over, long before the download would end.
    claim, code = claim_and_code("cancel")
    assert claim == pytest.approx(number_in(code, r"await asyncio\.sleep\(([\d.]+)\)"))
    assert number_in(code, r"/delay/([\d.]+)\"") >= 4 * claim
    # timeout: each request's budget; the slow one would take far longer, the others less.
    claim, code = claim_and_code("timeout")
    assert claim == pytest.approx(number_in(code, r"fetch_at_most\(session, u, ([\d.]+)\)"))
    delays = [float(d) for d in re.search(r"delays = \[([^\]]+)\]", code).group(1).split(", ")]  # type: ignore[union-attr]
    slow, *others = sorted(delays, reverse=True)
    assert slow >= 2 * claim and max(others) < claim
    # taskgroup: when the failing request fails, before the others would have ended.
    claim, code = claim_and_code("taskgroup")
    assert claim == pytest.approx(number_in(code, r"code=500&delay=([\d.]+)&"))
    assert number_in(code, r"/delay/([\d.]+)\?n=") == pytest.approx(2 * claim)
    # queue: rounds of one request each, as many rounds as it takes the workers.
    for workers in range(1, 11):
        claim, code = claim_and_code("queue", limit=workers)
        assert f"    workers = {workers}\n" in code
        assert claim == pytest.approx(math.ceil(10 / workers) * number_in(code, r"/delay/([\d.]+)\?n="))


@pytest.mark.parametrize("lesson_id", ["taskgroup", "timeout", "cancel"])
def test_a_request_that_fails_or_is_cancelled_on_purpose_is_the_lesson_not_a_fault(lesson_id: str) -> None:
    lesson = lesson_by_id(lesson_id)
    expected = lesson.expected_seconds(setup())
    assert "on purpose" in lesson.expectation(setup())
    verdict = lesson.verdict(setup(), wall_time=expected * 1.03, longest_freeze=0.004)
    assert verdict.as_expected, verdict.text
    assert NOT_AS_CLAIMED not in verdict.text
    assert lesson.point(setup()) in verdict.text and "cancel" in lesson.point(setup())
    # Only a run that took the time claimed shows it: one that waited for the slow request did not.
    late = lesson.verdict(setup(), wall_time=expected * 2, longest_freeze=0.004)
    assert not late.as_expected and lesson.point(setup()) not in late.text


@pytest.mark.parametrize("lesson_id", ["as_completed", "cancel", "timeout", "taskgroup", "queue"])
def test_a_pattern_lesson_says_its_point_when_the_run_showed_it(lesson_id: str) -> None:
    lesson = lesson_by_id(lesson_id)
    expected = lesson.expected_seconds(setup())
    point = lesson.point(setup())
    assert point and point.endswith(".")
    assert lesson.verdict(setup(), expected, 0.01).text.endswith(point)
    stalled = lesson.verdict(setup(), expected, 0.3)  # on time, but the window stalled: no point made
    assert not stalled.as_expected and point not in stalled.text


def test_the_queue_lessons_limit_is_its_workers() -> None:
    queue = lesson_by_id("queue")
    assert queue.uses_limit and queue.limit_caption == "Workers:" and "orker" in queue.limit_description
    assert lesson_by_id("limit").limit_caption == "At once:"
    assert [queue.expected_seconds(setup(limit=n)) for n in (1, 3, 5, 10)] == [10, 4, 2, 1]
    assert "1 worker take" in queue.intro(setup(limit=1)) and "3 workers take" in queue.intro(setup(limit=3))
    assert queue.point(setup(limit=5)) == "10 jobs, 5 at a time: 2 rounds of 1 s."
    assert queue.point(setup(limit=10)) == "10 jobs, 10 at a time: 1 round of 1 s."


def test_the_pattern_lessons_follow_the_six_in_teaching_order() -> None:
    assert LESSON_IDS[:6] == ("sleep", "sequential", "gather", "limit", "cpu", "thread")
    assert set(LESSON_IDS[6:-1]) == {"as_completed", "taskgroup", "timeout", "queue", "cancel"}
    assert LESSON_IDS[-1] == "playground"  # your own code: after every lesson
    # Cancelling comes before the two lessons whose point is what gets cancelled.
    assert LESSON_IDS.index("cancel") < LESSON_IDS.index("timeout") < LESSON_IDS.index("taskgroup")
    assert len({lesson.title for lesson in LESSONS}) == len(LESSONS)


# --- the words: what the lessons say is what Python does -------------------------------------

ON_OFF = re.compile(
    r"\b(?:toggle\s+(?:is\s+|was\s+|turned\s+|switched\s+)?(?:on|off)|turn(?:s|ed|ing)?\s+(?:it\s+|the\s+toggle\s+)?(?:on|off)"
    r"|switch(?:es|ed|ing)?\s+(?:it\s+|the\s+toggle\s+)?(?:on|off)|(?:on|off)\s*/\s*(?:on|off))\b",
    re.IGNORECASE,
)
"""Words that describe the toggle as a switch that is on or off: it is labelled Async / Sync."""


def every_text(lesson_id: str) -> list[tuple[str, str]]:
    """(where, text) for everything a lesson says, for every setting and for runs that went
    either way: its title, intro, expectation, code and verdicts."""
    lesson = lesson_by_id(lesson_id)
    texts = [("title", lesson.title)]
    for each in every_setup()[::10]:  # each scale and toggle position (the limit changes no words)
        where = f"scale {each.scale:g}, blocking={each.blocking}"
        texts += [(f"intro ({where})", lesson.intro(each)), (f"expectation ({where})", lesson.expectation(each))]
        texts.append((f"code ({where})", lesson.code(each)))
        for wall, freeze in ((2.0, 0.01), (2.0, 1.98), (0.3, 0.064)):
            texts.append((f"verdict ({where}, {wall} s, {freeze} s)", lesson.verdict(each, wall, freeze).text))
    return texts


def test_the_on_off_pattern_finds_what_it_must() -> None:
    # The scan below is only as good as its pattern: it must catch the old wordings.
    for bad in ("when the toggle is on", "Turn it off to compare", "switch the toggle on", "with the toggle off", "on/off"):
        assert ON_OFF.search(bad), bad
    for fine in ("Flip the toggle to switch.", "turn to the timeline", "the window stays alive on its own", "off the GUI thread"):
        assert not ON_OFF.search(fine), fine


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_no_lesson_calls_the_toggle_on_or_off(lesson_id: str) -> None:
    said = [f"{where}: {match.group(0)!r}" for where, text in every_text(lesson_id) if (match := ON_OFF.search(text))]
    assert said == []


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSONS if lesson.toggle_picks_variant])
def test_a_lesson_with_two_variants_speaks_of_async_and_blocking(lesson_id: str) -> None:
    lesson = lesson_by_id(lesson_id)
    for blocking in (False, True):
        words = f"{lesson.intro(setup(blocking=blocking))} {lesson.expectation(setup(blocking=blocking))}".lower()
        assert "async" in words or "non-blocking" in words, words
        assert "block" in words, words


def test_gather_schedules_the_fetches_and_they_start_when_main_awaits() -> None:
    gather = lesson_by_id("gather")
    for each in (setup(scale=0.25), setup()):
        intro, code = gather.intro(each), gather.code(each)
        assert "schedules" in intro
        assert re.search(r"start[^.]*when main awaits", intro), intro
        # The comment over the gather says the same; "gather starts every fetch now" was wrong:
        # gather only wraps them in tasks, and they run once main gives the loop its turn.
        comment = " ".join(line.strip(" #") for line in code.splitlines() if line.strip().startswith("#"))
        assert "schedules" in comment and "when main awaits" in comment, comment
        for text in (intro, comment):
            assert not re.search(r"gather starts (?:them|every)", text), text


def test_the_cpu_lesson_says_why_a_thread_would_not_help_and_why_the_first_pool_run_can_be_slower() -> None:
    cpu = lesson_by_id("cpu")
    for blocking in (False, True):
        intro = cpu.intro(setup(blocking=blocking))
        assert "GIL" in intro and "thread" in intro, intro
        sentence = next(s for s in re.split(r"(?<=[.:])\s+", intro) if "GIL" in s)
        assert "one thread" in sentence, sentence  # the reason, not just the acronym
        assert re.search(r"first[^.]*slower", intro), intro
        assert re.search(r"start(?:s|ing)? (?:the|a) (?:worker )?process", intro), intro
