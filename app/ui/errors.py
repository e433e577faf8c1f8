"""Unexpected errors, from anywhere, logged and shown: never swallowed, never a hard crash.

:class:`ErrorReporter` is the one place they go. ``main()`` routes ``sys.excepthook``,
``threading.excepthook`` and the event loop's exception handler into it; the window shows what it
reports in a non-modal banner. Emitting a signal makes the hand-over safe from any thread.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.i18n import _

log = logging.getLogger("app")


class ErrorReporter(QObject):
    """Logs unexpected errors and announces them to whoever shows them."""

    error_reported = Signal(str, str)  # one-line summary, details (traceback)

    def report(self, summary: str, exc: BaseException | None = None) -> None:
        """Logs ``summary`` (with the traceback of ``exc``) and announces it."""
        details = "".join(traceback.format_exception(exc)) if exc is not None else ""
        log.error("%s\n%s", summary, details.rstrip())
        self.error_reported.emit(summary, details)

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """For ``sys.excepthook``: exceptions that escaped a Qt slot or callback."""
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.report(_("Unexpected error: {error}").format(error=f"{exc_type.__name__}: {exc}"), exc.with_traceback(tb))

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        """For ``threading.excepthook``: exceptions that ended a thread."""
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread else "?"
        self.report(_("Unexpected error in {thread}: {error}").format(thread=name, error=f"{args.exc_type.__name__}: {args.exc_value}"), args.exc_value)

    def loop_exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """For ``loop.set_exception_handler``: errors asyncio could not hand to anyone."""
        exc = context.get("exception")
        message = context.get("message") or _("error in the event loop")
        if isinstance(exc, BaseException):
            self.report(_("Unexpected error: {error}").format(error=f"{message}: {type(exc).__name__}: {exc}"), exc)
        else:
            self.report(_("Unexpected error: {error}").format(error=message))

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Routes the interpreter's, the threads' and (if given) the loop's hooks here."""
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        if loop is not None:
            loop.set_exception_handler(self.loop_exception_handler)
