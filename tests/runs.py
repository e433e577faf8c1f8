"""Runs built by hand for tests: a clock the test moves, and requests played out at given times."""

from __future__ import annotations

from app.core.run import FetchMode, RequestRecord, Run, RunClock
from app.core.urls import check_url


class FakeTime:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def planned(urls: list[str], mode: FetchMode = FetchMode.ASYNC) -> tuple[Run, FakeTime]:
    """A run of ``urls`` on a clock that reads 0 now and moves only when the test says so."""
    run = Run.plan(urls, mode, check=check_url)
    fake = FakeTime()
    run.clock = RunClock(fake)
    return run, fake


def answered(record: RequestRecord, start: float, end: float, status: int = 200, reason: str = "OK") -> None:
    """Plays one request that got an HTTP answer between ``start`` and ``end``."""
    record.begin(start)
    record.status, record.reason = status, reason
    record.response_at = start
    record.finish(end)


def urls(n: int) -> list[str]:
    return [f"http://127.0.0.1:8000/delay/{i}" for i in range(n)]
