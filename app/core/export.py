"""A finished run written out: HAR 1.2 for a browser's devtools, CSV for a spreadsheet.

Both formats carry one entry (row) per request, with every phase time of
:mod:`app.core.timeline`. Files are written whole or not at all (:func:`write_new`): a full disk
or a read-only folder leaves no half-written file behind, and an existing file is replaced only
when the caller says the user agreed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app import __version__
from app.core.fetch import DEFAULT_HEADERS
from app.core.run import ErrorKind, RequestRecord, RequestState, RunSummary
from app.core.timeline import Phase, phase_durations

SUFFIXES = (".har", ".csv", ".png")
"""What :func:`export kinds <kind_of>` understands; PNG is drawn by the UI, the others here."""


def kind_of(path: Path) -> str:
    """"har", "csv" or "png" from the file name, or ValueError naming the ones that work."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"Cannot export to '{path.name}': the name must end in {', '.join(SUFFIXES)}")
    return suffix[1:]


# --- HAR ------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> float:
    """HAR times are milliseconds; -1 means "does not apply / not known"."""
    return -1 if seconds is None else round(seconds * 1000, 3)


def _har_entry(summary: RunSummary, record: RequestRecord) -> dict[str, Any]:
    spent = phase_durations(record)
    known = record.started is not None
    timings = {
        "blocked": _ms(spent[Phase.QUEUED]),
        # -1: did not apply (a reused connection, an IP address) or not known (blocking mode).
        "dns": _ms(spent[Phase.DNS] or None),
        "connect": _ms(spent[Phase.CONNECT] or None),
        "ssl": -1,  # aiohttp reports TLS inside connect; HAR counts ssl inside connect too
        "send": 0,
        "wait": _ms(spent[Phase.WAITING]) if known else 0,
        "receive": _ms(spent[Phase.DOWNLOADING]) if known else 0,
    }
    try:
        query = parse_qsl(urlsplit(record.url).query, keep_blank_values=True)
    except ValueError:  # a line that was never a URL (its row says why): no query to list
        query = []
    entry: dict[str, Any] = {
        # Every request joined the queue when Run was pressed; "blocked" is its wait for a turn.
        "startedDateTime": summary.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": round(sum(v for v in timings.values() if v > 0), 3),
        "request": {
            "method": "GET",
            "url": record.url,
            "httpVersion": record.http_version or "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in DEFAULT_HEADERS.items()],
            "queryString": [{"name": k, "value": v} for k, v in query],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            # HAR's convention for "no response": status 0 (devtools shows it as failed).
            "status": record.status or 0,
            "statusText": record.reason,
            "httpVersion": record.http_version,
            "cookies": [],
            "headers": [{"name": "Content-Type", "value": record.content_type}] if record.content_type else [],
            "content": {"size": record.bytes_received, "mimeType": record.content_type or "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            # What went over the wire is not known (bodies are counted after gzip decoding).
            "bodySize": -1,
        },
        "cache": {},
        "timings": timings,
        "_state": record.state.value,
    }
    if record.error:
        entry["_error"] = record.error  # devtools' own extension field for failed requests
    return entry


def to_har(summary: RunSummary) -> dict[str, Any]:
    """The run as a HAR 1.2 log: one page (the run) and one entry per request sent, in list order.

    Lines that were never sent (not a URL, an unsupported scheme) are not requests and HAR has no
    place for them; they are listed in the log's ``_notSent`` field with their reasons.
    """
    page_id = f"run_{summary.run_id}"
    sent = [record for record in summary.records if not _never_sent(record)]
    entries = [_har_entry(summary, record) for record in sent]
    for entry in entries:
        entry["pageref"] = page_id
    started = summary.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "LoopLab", "version": __version__},
            "pages": [
                {
                    "startedDateTime": started,
                    "id": page_id,
                    "title": f"LoopLab run {summary.run_id}: {summary.mode.label}, {len(summary.records)} URLs",
                    "pageTimings": {"onContentLoad": -1, "onLoad": _ms(summary.wall_time)},
                }
            ],
            "entries": entries,
            "comment": _run_comment(summary),
            "_notSent": [{"line": r.url, "error": r.error} for r in summary.records if _never_sent(r)],
        }
    }


def _never_sent(record: RequestRecord) -> bool:
    return record.started is None and record.error_kind in (ErrorKind.INVALID_URL, ErrorKind.UNSUPPORTED_SCHEME)


def _run_comment(summary: RunSummary) -> str:
    freezes = ", ".join(f"{f.start:.3f}-{f.end:.3f} s" for f in summary.freezes) or "none"
    return (
        f"{summary.mode.label}; concurrency {summary.concurrency}; wall time {summary.wall_time:.3f} s; "
        f"requests added up {summary.request_time_sum:.3f} s; longest freeze {summary.longest_freeze:.3f} s; "
        f"freezes (from Run pressed): {freezes}"
    )


def har_bytes(summary: RunSummary) -> bytes:
    return (json.dumps(to_har(summary), indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "index", "url", "state", "status", "reason", "bytes", "error",
    "started_at_utc", "start_s", "headers_s", "end_s",
    "queued_s", "dns_s", "connect_s", "waiting_s", "downloading_s", "request_s",
)  # fmt: skip


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def csv_rows(summary: RunSummary) -> list[dict[str, str]]:
    """One row per request; times in seconds since Run was pressed, blank where unknown."""
    rows = []
    for record in summary.records:
        spent = phase_durations(record)
        started_at = (
            (summary.started_at + timedelta(seconds=record.started)).isoformat(timespec="milliseconds")
            if record.started is not None
            else ""
        )
        rows.append(
            {
                "index": str(record.index + 1),
                "url": record.url,
                "state": record.state.value,
                "status": "" if record.status is None else str(record.status),
                "reason": record.reason,
                "bytes": str(record.bytes_received),
                "error": record.error,
                "started_at_utc": started_at,
                "start_s": _seconds(record.started),
                "headers_s": _seconds(record.response_at),
                "end_s": _seconds(record.ended),
                "queued_s": _seconds(spent[Phase.QUEUED] if record.state is not RequestState.PENDING else None),
                "dns_s": _seconds(spent[Phase.DNS] if record.dns is not None else None),
                "connect_s": _seconds(spent[Phase.CONNECT] if record.connect is not None else None),
                "waiting_s": _seconds(spent[Phase.WAITING] if record.started is not None else None),
                "downloading_s": _seconds(spent[Phase.DOWNLOADING] if record.started is not None else None),
                "request_s": _seconds(record.duration),
            }
        )
    return rows


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text: a line like ``=HYPERLINK(...)`` is never run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def csv_bytes(summary: RunSummary) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(summary):
        writer.writerow({**row, "url": _inert(row["url"]), "error": _inert(row["error"]), "reason": _inert(row["reason"])})
    # With a BOM, Excel opens UTF-8 (e.g. an internationalised host name) correctly.
    return out.getvalue().encode("utf-8-sig")


# --- writing --------------------------------------------------------------------------------


def write_new(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Writes ``data`` to ``path`` whole or not at all.

    Raises FileExistsError if ``path`` exists and ``overwrite`` is false, and OSError (e.g.
    PermissionError, "No space left on device") when it cannot be written. After a failure no
    partial file is left behind, and a file being replaced is left as it was.
    """
    if not overwrite or not path.exists():
        with _removed_on_failure(path):
            with path.open("xb") as out:  # "x": fails if the file exists, never replaces it
                out.write(data)
        return
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    with _removed_on_failure(Path(temp_name)):
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if path.exists():
            shutil.copymode(path, temp_name)  # mkstemp makes it private; keep the old file's mode
        os.replace(temp_name, path)


@contextlib.contextmanager
def _removed_on_failure(path: Path) -> Iterator[None]:
    try:
        yield
    except FileExistsError:
        raise  # not ours to remove
    except BaseException:
        path.unlink(missing_ok=True)
        raise
