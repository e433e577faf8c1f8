"""The lessons as text and as claims: the code they show, the work they run, and their verdicts.

No window here: what a lesson shows and how it judges a run are plain functions of its setup
and of the numbers measured. The runs themselves are in tests/ui/test_lessons.py.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import multiprocessing
import pickle
import re

import pytest

from app.core import lesson_work
from app.core.lag import FROZEN
from app.core.lesson_work import COUNT_PRIMES_SOURCE, count_primes
from app.core.lessons import LESSON_IDS, LESSONS, SCALES, LessonSetup, compile_main, lesson_by_id

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


# --- count_primes: the code on screen is the code that runs, installed or not ----------------


@pytest.mark.parametrize("blocking", [False, True], ids=["pool", "inline"])
def test_the_cpu_code_shows_every_line_of_count_primes_as_it_runs(blocking: bool) -> None:
    code = lesson_by_id("cpu").code(setup(blocking=blocking)).splitlines()
    source = COUNT_PRIMES_SOURCE.splitlines()
    assert len(source) >= 5 and source[0].startswith("def count_primes(")
    commented = [f"#   {line}".rstrip() for line in source]
    start = code.index(commented[0])
    assert code[start : start + len(commented)] == commented  # all of it, in order, nothing in between


def test_count_primes_counts_the_primes_below_its_limit() -> None:
    assert count_primes(100) == 25
    assert [count_primes(n) for n in (0, 2, 3, 10, 11, 12)] == [0, 0, 1, 4, 4, 5]


def test_count_primes_is_the_function_its_source_text_defines() -> None:
    namespace: dict[str, object] = {}
    exec(compile(COUNT_PRIMES_SOURCE, "<test>", "exec"), namespace)  # noqa: S102 - the app's own constant
    again = namespace["count_primes"]
    assert callable(again)
    assert count_primes.__code__.co_code == again.__code__.co_code  # type: ignore[attr-defined]


def test_count_primes_pickles_by_reference_for_the_process_pool() -> None:
    assert count_primes.__module__ == "app.core.lesson_work"
    assert count_primes.__qualname__ == "count_primes"
    assert pickle.loads(pickle.dumps(count_primes)) is count_primes
    assert lesson_work.count_primes is count_primes


def test_count_primes_runs_in_a_fresh_spawned_process() -> None:
    # What the pool variant of the cpu lesson does: a new interpreter imports it by name.
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(count_primes, 1000).result(timeout=60) == 168


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


@pytest.mark.parametrize("lesson_id", ["sleep", "sequential", "gather", "limit", "thread"])
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
