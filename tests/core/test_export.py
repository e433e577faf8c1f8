"""Exports: a run as HAR 1.2 and CSV, written whole or not at all, checked by hand and against the demo server."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import errno
import io
import json
import os
import resource
import signal
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from app import __version__
from app.core import blocking, fetch
from app.core.demo_server import DemoServer
from app.core.export import CSV_COLUMNS, csv_bytes, har_bytes, kind_of, to_har, write_new
from app.core.fetch import FetchOptions
from app.core.lag import Freeze
from app.core.run import ErrorKind, FetchMode, RequestState, Run, RunOutcome, RunSummary
from app.core.timeline import Phase, phase_durations
from app.core.urls import check_url
from tests.runs import answered, planned

HOST = "http://127.0.0.1:8000"
TIMING_KEYS = ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")


def parse_har_date(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1] + "+00:00")


def async_summary() -> RunSummary:
    """A run in the async mode with one request of every kind a student can produce."""
    run, clock = planned(
        [
            "http://localhost:8000/delay/1?x=1&y=two%20words&empty=",  # 0: every phase
            f"{HOST}/bytes/10",  # 1: reused connection, no queue
            f"{HOST}/status/404",  # 2: an HTTP error
            "http://127.0.0.1:1/",  # 3: refused
            "not a url",  # 4: rejected before sending
            f"{HOST}/delay/5",  # 5: cancelled while running
            f"{HOST}/delay/6",  # 6: cancelled before its turn
        ]
    )
    full, reused, not_found, refused, _invalid, running, queued = run.records

    full.begin(0.25)
    full.dns, full.connect = 0.05, 0.1
    full.status, full.reason = 200, "OK"
    full.http_version, full.content_type = "HTTP/1.1", "application/json"
    full.response_at = 1.4
    full.bytes_received = 321
    full.finish(1.5)

    answered(reused, 0.0, 0.2)
    reused.dns = reused.connect = 0.0
    reused.response_at = 0.15
    reused.http_version, reused.content_type = "HTTP/1.1", "application/octet-stream"
    reused.bytes_received = 10

    not_found.begin(0.0)
    not_found.dns, not_found.connect = 0.0, 0.002
    not_found.status, not_found.reason, not_found.http_version = 404, "Not Found", "HTTP/1.1"
    not_found.response_at = 0.3
    not_found.finish(0.3)

    refused.begin(0.0)
    refused.dns = refused.connect = 0.0
    refused.fail(0.01, ErrorKind.REFUSED, "Connection refused by 127.0.0.1:1: nothing is listening there")

    running.begin(0.5)
    running.dns = running.connect = 0.0
    clock.now = 2.0
    run.cancel_unfinished()  # cancels `running` and `queued` at 2.0
    assert running.state is queued.state is RequestState.CANCELLED
    return run.summarize(RunOutcome.CANCELLED, longest_freeze=0.12, freezes=[Freeze(0.9, 1.02)])


def blocking_summary() -> RunSummary:
    """Three requests one after another, as requests does them: no DNS or connect times."""
    run, _clock = planned([f"{HOST}/delay/0.2", f"{HOST}/bytes/5", f"{HOST}/get"], FetchMode.BLOCKING)
    start = 0.0
    for r in run.records:
        r.begin(start)
        r.status, r.reason, r.http_version, r.content_type = 200, "OK", "HTTP/1.1", "text/plain"
        r.response_at = start + 0.2
        r.bytes_received = 5
        r.finish(start + 0.25)
        start += 0.25
    return run.summarize(RunOutcome.COMPLETED, longest_freeze=0.75, freezes=[Freeze(0.0, 0.75)])


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def assert_valid_har_entry(entry: dict[str, Any]) -> None:
    """The fields HAR 1.2 requires of an entry, with the types it requires."""
    parse_har_date(entry["startedDateTime"])
    assert is_number(entry["time"]) and entry["time"] >= 0

    request = entry["request"]
    assert request["method"] == "GET"
    assert isinstance(request["url"], str)
    assert request["httpVersion"].startswith("HTTP/")
    for key in ("cookies", "headers", "queryString"):
        assert isinstance(request[key], list)
        assert all(set(item) >= {"name", "value"} for item in request[key] if key != "cookies")
    assert is_number(request["headersSize"]) and is_number(request["bodySize"])

    response = entry["response"]
    assert isinstance(response["status"], int) and isinstance(response["statusText"], str)
    assert isinstance(response["httpVersion"], str)
    assert isinstance(response["cookies"], list) and isinstance(response["headers"], list)
    assert is_number(response["content"]["size"]) and isinstance(response["content"]["mimeType"], str)
    assert isinstance(response["redirectURL"], str)
    assert is_number(response["headersSize"]) and is_number(response["bodySize"])

    assert isinstance(entry["cache"], dict)
    timings = entry["timings"]
    assert set(timings) >= {"send", "wait", "receive"}
    for key, value in timings.items():
        assert is_number(value), (key, value)
        assert value == -1 or value >= 0, (key, value)
    for key in ("send", "wait", "receive"):
        assert timings[key] >= 0, (key, timings[key])  # HAR: these three cannot be -1
    assert entry["time"] == pytest.approx(sum(v for v in timings.values() if v > 0), abs=0.01)


def assert_valid_har(har: dict[str, Any], summary: RunSummary) -> None:
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"] == {"name": "LoopLab", "version": __version__}
    (page,) = log["pages"]
    assert parse_har_date(page["startedDateTime"]) == pytest.approx(summary.started_at, abs=timedelta(milliseconds=1))
    assert isinstance(page["id"], str) and isinstance(page["title"], str)
    assert isinstance(page["pageTimings"], dict)
    sent = [r for r in summary.records if r.started is not None or r.error_kind not in (ErrorKind.INVALID_URL, ErrorKind.UNSUPPORTED_SCHEME)]
    assert len(log["entries"]) == len(sent)
    for entry, record in zip(log["entries"], sent):
        assert_valid_har_entry(entry)
        assert entry["pageref"] == page["id"]
        assert entry["request"]["url"] == record.url
        # HAR's schema wants a real URI: what was never sent has no entry (see _notSent).
        parts = urlsplit(entry["request"]["url"])
        assert parts.scheme in ("http", "https") and parts.netloc
        assert entry["request"]["url"] == record.url


# --- HAR --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [async_summary, blocking_summary])
def test_har_is_structurally_valid_har_1_2(make: Any) -> None:
    summary = make()
    har = to_har(summary)
    assert_valid_har(har, summary)
    assert json.loads(har_bytes(summary).decode("utf-8")) == har  # what is written is what was checked


def test_har_timings_are_the_timeline_phases_in_milliseconds() -> None:
    summary = async_summary()
    full, reused, *_ = to_har(summary)["log"]["entries"]
    assert full["timings"] == pytest.approx(
        {"blocked": 250, "dns": 50, "connect": 100, "ssl": -1, "send": 0, "wait": 1000, "receive": 100}
    )
    assert full["time"] == pytest.approx(1500)
    # The request began when Run was pressed; "blocked" is its wait for a slot.
    assert parse_har_date(full["startedDateTime"]) == pytest.approx(summary.started_at, abs=timedelta(milliseconds=1))
    # A reused connection: no look-up and no connecting, which HAR writes as -1 ("does not apply").
    assert reused["timings"] == pytest.approx(
        {"blocked": 0, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": 150, "receive": 50}
    )
    assert reused["time"] == pytest.approx(200)


def test_har_blocking_entries_say_dns_and_connect_are_unknown() -> None:
    entries = to_har(blocking_summary())["log"]["entries"]
    for n, entry in enumerate(entries):
        timings = entry["timings"]
        assert timings["dns"] == timings["connect"] == -1
        assert timings["blocked"] == pytest.approx(250 * n)
        assert timings["wait"] == pytest.approx(200)
        assert timings["receive"] == pytest.approx(50)
        assert entry["time"] == pytest.approx(250 * (n + 1))


def test_har_response_carries_status_type_and_size() -> None:
    full = to_har(async_summary())["log"]["entries"][0]
    response = full["response"]
    assert (response["status"], response["statusText"], response["httpVersion"]) == (200, "OK", "HTTP/1.1")
    assert response["content"] == {"size": 321, "mimeType": "application/json"}
    assert {"name": "Content-Type", "value": "application/json"} in response["headers"]
    assert response["bodySize"] == -1  # bytes on the wire are unknown: bodies are counted decoded
    assert "_error" not in full
    assert {h["name"] for h in full["request"]["headers"]} >= {"User-Agent", "Accept"}


def test_har_query_string_is_parsed_from_the_url() -> None:
    full = to_har(async_summary())["log"]["entries"][0]
    assert full["request"]["queryString"] == [
        {"name": "x", "value": "1"},
        {"name": "y", "value": "two words"},
        {"name": "empty", "value": ""},
    ]
    reused = to_har(async_summary())["log"]["entries"][1]
    assert reused["request"]["queryString"] == []


def test_har_failed_and_cancelled_requests_have_status_0_and_an_error() -> None:
    summary = async_summary()
    log = to_har(summary)["log"]
    by_url = {entry["request"]["url"]: entry for entry in log["entries"]}
    refused = by_url["http://127.0.0.1:1/"]
    assert "not a url" not in by_url  # never sent: not a request, listed apart with its reason
    assert log["_notSent"] == [{"line": "not a url", "error": "Not a URL: it contains spaces"}]
    running = by_url[f"{HOST}/delay/5"]
    queued = by_url[f"{HOST}/delay/6"]
    for entry, error in [
        (refused, "Connection refused by 127.0.0.1:1: nothing is listening there"),
        (running, "Cancelled"),
        (queued, "Cancelled before it started"),
    ]:
        assert entry["response"]["status"] == 0, entry["request"]["url"]
        assert entry["_error"] == error
        assert entry["response"]["content"]["size"] == 0
    assert refused["_state"] == "failed" and running["_state"] == queued["_state"] == "cancelled"
    # Cancelled at 2.0 s: one waited 0.5 s for its turn then 1.5 s for an answer, one only waited.
    assert running["timings"]["blocked"] == pytest.approx(500)
    assert running["timings"]["wait"] == pytest.approx(1500)
    assert running["time"] == pytest.approx(2000)
    assert queued["timings"]["blocked"] == pytest.approx(2000)
    assert queued["timings"]["wait"] == queued["timings"]["receive"] == 0


def test_har_http_error_keeps_its_status_and_says_why() -> None:
    not_found = to_har(async_summary())["log"]["entries"][2]
    assert not_found["response"]["status"] == 404
    assert not_found["_error"] == "HTTP 404 Not Found"
    assert not_found["timings"]["connect"] == pytest.approx(2)


def test_har_page_describes_the_run() -> None:
    summary = async_summary()
    log = to_har(summary)["log"]
    (page,) = log["pages"]
    assert page["pageTimings"]["onLoad"] == pytest.approx(summary.wall_time * 1000)
    assert "7 URLs" in page["title"]
    assert "0.900-1.020 s" in log["comment"]  # the freeze, on the run's clock


def test_har_of_a_run_with_an_unparseable_line_still_exports() -> None:
    run, _clock = planned(["https://[::1/", f"{HOST}/get"])
    assert run.records[0].state is RequestState.FAILED  # rejected before sending, a row like any other
    answered(run.records[1], 0.0, 0.1)
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    log = to_har(summary)["log"]
    assert [e["request"]["url"] for e in log["entries"]] == [f"{HOST}/get"]
    assert log["_notSent"][0]["line"] == "https://[::1/"


# --- CSV --------------------------------------------------------------------------------------


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_csv_has_the_header_and_one_row_per_request() -> None:
    summary = async_summary()
    header, rows = read_csv(csv_bytes(summary))
    assert header == list(CSV_COLUMNS)
    assert len(rows) == len(summary.records)
    assert [row["url"] for row in rows] == [r.url for r in summary.records]
    assert [row["index"] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert [row["state"] for row in rows] == [r.state.value for r in summary.records]


def test_csv_row_of_a_full_request() -> None:
    summary = async_summary()
    _, rows = read_csv(csv_bytes(summary))
    full = rows[0]
    assert (full["status"], full["reason"], full["bytes"], full["error"]) == ("200", "OK", "321", "")
    seconds = {k: float(full[k]) for k in CSV_COLUMNS if k.endswith("_s")}
    assert seconds == pytest.approx(
        {
            "start_s": 0.25, "headers_s": 1.4, "end_s": 1.5,
            "queued_s": 0.25, "dns_s": 0.05, "connect_s": 0.1, "waiting_s": 1.0, "downloading_s": 0.1,
            "request_s": 1.25,
        }
    )  # fmt: skip
    started = datetime.fromisoformat(full["started_at_utc"])
    assert started - summary.started_at == pytest.approx(timedelta(seconds=0.25), abs=timedelta(milliseconds=1))


def test_csv_phase_columns_add_up_to_the_end_time() -> None:
    for summary in (async_summary(), blocking_summary()):
        _, rows = read_csv(csv_bytes(summary))
        for row in rows:
            if not row["start_s"]:
                continue
            phases = [row[k] for k in ("queued_s", "dns_s", "connect_s", "waiting_s", "downloading_s")]
            assert sum(float(v) for v in phases if v) == pytest.approx(float(row["end_s"]), abs=1e-5)
            assert float(row["request_s"]) == pytest.approx(float(row["end_s"]) - float(row["start_s"]), abs=1e-5)


def test_csv_leaves_unknown_values_blank() -> None:
    _, rows = read_csv(csv_bytes(blocking_summary()))
    assert all(row["dns_s"] == "" and row["connect_s"] == "" for row in rows)
    assert all(row["waiting_s"] != "" for row in rows)

    _, rows = read_csv(csv_bytes(async_summary()))
    invalid = rows[4]
    assert invalid["url"] == "not a url"
    assert invalid["status"] == invalid["start_s"] == invalid["headers_s"] == invalid["request_s"] == ""
    assert invalid["started_at_utc"] == invalid["waiting_s"] == invalid["downloading_s"] == ""
    queued = rows[6]
    assert queued["start_s"] == "" and float(queued["queued_s"]) == pytest.approx(2.0)
    assert queued["error"] == "Cancelled before it started"


def test_csv_keeps_commas_quotes_and_non_ascii_intact() -> None:
    odd = 'http://bücher.example/a,b?q="x",y'
    run, _clock = planned([odd])
    answered(run.records[0], 0.0, 0.5)
    _, rows = read_csv(csv_bytes(run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)))
    assert [row["url"] for row in rows] == [odd]


# --- file kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("run.har", "har"),
        ("RUN.HAR", "har"),
        ("table.csv", "csv"),
        ("Table.Csv", "csv"),
        ("shot.png", "png"),
        ("a.b.PNG", "png"),
    ],
)
def test_kind_of_reads_the_suffix_whatever_its_case(name: str, kind: str) -> None:
    assert kind_of(Path("/some/folder") / name) == kind


@pytest.mark.parametrize("name", ["run.json", "run", "run.har.gz", "table.tsv", "shot.jpeg"])
def test_kind_of_refuses_other_names_and_says_which_work(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        kind_of(Path(name))
    message = str(caught.value)
    assert name in message
    for suffix in (".har", ".csv", ".png"):
        assert suffix in message


# --- writing files ----------------------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "exports"
    target.mkdir()
    return target


def test_write_new_creates_the_file(folder: Path) -> None:
    write_new(folder / "run.har", b"{}\n")
    assert (folder / "run.har").read_bytes() == b"{}\n"
    assert listing(folder) == ["run.har"]


def test_write_new_refuses_to_replace_a_file_unless_asked(folder: Path) -> None:
    target = folder / "run.csv"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        write_new(target, b"new")
    assert target.read_bytes() == b"old"
    assert listing(folder) == ["run.csv"]


def test_write_new_replaces_when_asked_and_keeps_the_permissions(folder: Path) -> None:
    target = folder / "run.csv"
    target.write_bytes(b"old contents, longer than the new ones")
    target.chmod(0o664)
    write_new(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert listing(folder) == ["run.csv"]  # no temporary file left behind


def test_write_new_with_overwrite_also_creates_a_missing_file(folder: Path) -> None:
    write_new(folder / "run.har", b"data", overwrite=True)
    assert (folder / "run.har").read_bytes() == b"data"
    assert listing(folder) == ["run.har"]


def test_a_new_file_gets_the_same_permissions_whether_or_not_overwrite_was_allowed(folder: Path) -> None:
    write_new(folder / "plain.csv", b"data")
    write_new(folder / "allowed.csv", b"data", overwrite=True)
    plain = stat.S_IMODE((folder / "plain.csv").stat().st_mode)
    allowed = stat.S_IMODE((folder / "allowed.csv").stat().st_mode)
    assert allowed == plain


@pytest.mark.parametrize("overwrite", [False, True])
def test_write_new_into_a_missing_folder_fails_and_leaves_nothing(folder: Path, overwrite: bool) -> None:
    with pytest.raises(FileNotFoundError):
        write_new(folder / "gone" / "run.har", b"data", overwrite=overwrite)
    assert listing(folder) == []


def test_write_new_over_a_folder_fails_and_leaves_no_part_file(folder: Path) -> None:
    (folder / "run.har").mkdir()
    with pytest.raises(IsADirectoryError):
        write_new(folder / "run.har", b"data", overwrite=True)
    assert (folder / "run.har").is_dir()
    assert listing(folder) == ["run.har"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
@pytest.mark.parametrize("overwrite", [False, True])
def test_write_new_into_a_read_only_folder_is_a_permission_error(folder: Path, overwrite: bool) -> None:
    if overwrite:
        (folder / "run.har").write_bytes(b"old")
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            write_new(folder / "run.har", b"data", overwrite=overwrite)
        assert listing(folder) == (["run.har"] if overwrite else [])
    finally:
        folder.chmod(0o755)
    if overwrite:
        assert (folder / "run.har").read_bytes() == b"old"


@contextlib.contextmanager
def disk_full_after(n_bytes: int) -> Iterator[None]:
    """Writes past ``n_bytes`` of a file fail (EFBIG), as on a full disk: RLIMIT_FSIZE binds root too.

    Python ignores SIGXFSZ, so the write returns an error instead of killing the process.
    """
    if signal.getsignal(signal.SIGXFSZ) != signal.SIG_IGN:
        pytest.skip("SIGXFSZ is not ignored: a write past the limit would kill the test run")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = n_bytes if hard == resource.RLIM_INFINITY else min(n_bytes, hard)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_write_new_on_a_full_disk_leaves_no_partial_file(folder: Path) -> None:
    with disk_full_after(4096), pytest.raises(OSError) as caught:
        write_new(folder / "run.har", b"x" * 100_000)
    assert caught.value.errno == errno.EFBIG
    assert listing(folder) == []


def test_write_new_replacing_on_a_full_disk_keeps_the_old_file(folder: Path) -> None:
    target = folder / "run.har"
    target.write_bytes(b"the old export")
    with disk_full_after(4096), pytest.raises(OSError) as caught:
        write_new(target, b"x" * 100_000, overwrite=True)
    assert caught.value.errno == errno.EFBIG
    assert target.read_bytes() == b"the old export"
    assert listing(folder) == ["run.har"]  # no .part file either


# --- end to end, against the demo server ------------------------------------------------------


def har_intervals(har: dict[str, Any]) -> list[tuple[float, float]]:
    """(start, end) of each request's own time in ms after the earliest startedDateTime: queueing left out."""
    entries = har["log"]["entries"]
    origin = min(parse_har_date(e["startedDateTime"]) for e in entries)
    intervals = []
    for entry in entries:
        offset = (parse_har_date(entry["startedDateTime"]) - origin) / timedelta(milliseconds=1)
        intervals.append((offset + entry["timings"]["blocked"], offset + entry["time"]))
    return intervals


def test_har_of_an_async_run_shows_ten_requests_in_flight_at_once(demo_server: DemoServer) -> None:
    run = Run.plan([f"{demo_server.url}/delay/0.5"] * 10, FetchMode.ASYNC, concurrency=10, check=check_url)

    async def scenario() -> None:
        async with fetch.open_async_session() as session:
            await fetch.run_async(run, session, FetchOptions())

    asyncio.run(scenario())
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    har = to_har(summary)
    assert_valid_har(har, summary)
    entries = har["log"]["entries"]
    assert len(entries) == 10
    for entry in entries:
        assert entry["response"]["status"] == 200, entry.get("_error")
        assert entry["response"]["httpVersion"] == "HTTP/1.1"
        timings = entry["timings"]
        assert 450 <= timings["wait"] <= 1500, timings
        assert timings["dns"] == -1  # an IP address: nothing to look up
        assert timings["connect"] >= 0
    for entry, record in zip(entries, summary.records):
        spent = phase_durations(record)
        assert entry["timings"]["wait"] == pytest.approx(spent[Phase.WAITING] * 1000, abs=0.01)
        assert entry["timings"]["blocked"] == pytest.approx(spent[Phase.QUEUED] * 1000, abs=0.01)
    intervals = har_intervals(har)
    assert max(start for start, _ in intervals) < min(end for _, end in intervals)  # all overlap


def test_har_of_a_blocking_run_is_a_staircase(demo_server: DemoServer) -> None:
    run = Run.plan([f"{demo_server.url}/delay/0.2"] * 3, FetchMode.BLOCKING, check=check_url)
    with blocking.open_blocking_session() as session:
        blocking.run_blocking(run, session, FetchOptions())
    summary = run.summarize(RunOutcome.COMPLETED, longest_freeze=0.0)
    har = to_har(summary)
    assert_valid_har(har, summary)
    entries = har["log"]["entries"]
    assert len(entries) == 3
    for entry in entries:
        assert entry["response"]["status"] == 200, entry.get("_error")
        timings = entry["timings"]
        assert timings["dns"] == timings["connect"] == -1  # requests cannot tell
        assert 195 <= timings["wait"] < 1000, timings
    intervals = har_intervals(har)
    for (_, end), (next_start, _) in zip(intervals, intervals[1:]):
        assert end <= next_start + 0.01  # each begins only once the one before has ended
    assert intervals[-1][0] >= 2 * 195  # the third waited for two whole requests


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text() -> None:
    run, _clock = planned(["=HYPERLINK(\"http://evil\")", "http://127.0.0.1:8000/get"])
    answered(run.records[1], 0.0, 0.1)
    rows = list(csv.DictReader(io.StringIO(csv_bytes(run.summarize(RunOutcome.COMPLETED, 0.0)).decode("utf-8-sig"))))
    assert rows[0]["url"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["url"] == "http://127.0.0.1:8000/get"
