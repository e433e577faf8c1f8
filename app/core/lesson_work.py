"""A lesson's code as a module of its own, and a process pool that can run the functions it defines.

A lesson's code defines its work itself (the CPU lesson's ``count_primes`` is in the file, so the
file runs anywhere). :func:`load_module` runs that text as a module under a name of its own
(``looplab_lesson_cpu``) and registers it in ``sys.modules``, as an import would.

A process pool sends work to another process by name (module + function). A fresh ``spawn``
process cannot import ``looplab_lesson_cpu``: no file holds it. :class:`LessonPool` therefore
sends the lesson's source along with every function (or class) the lesson defines, and the worker
runs that source under the same module name before it looks the function up: the function then
resolves there as it would in any module. (Python does the same for a script run as ``__main__``:
a spawned worker runs the script again, as ``__mp_main__``.) Outside LoopLab, the lesson is
``__main__`` and an ordinary pool pickles its functions by name as usual.

Imported by every worker process the pool starts (``spawn``), so it imports nothing heavy.
"""

from __future__ import annotations

import concurrent.futures
import io
import linecache
import multiprocessing
import pickle
import sys
import types
from collections.abc import Callable
from typing import Any

COUNT_PRIMES_SOURCE = '''\
def count_primes(limit):
    """Primes below limit, by slow trial division."""
    count = 0
    for n in range(2, limit):
        divisor = 2
        while divisor * divisor <= n:
            if n % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count
'''
"""The CPU lesson's work, as its code shows it (the lesson's file defines it)."""

_SOURCE = "__lesson_source__"
"""Where a lesson module keeps the text it was made from and its file name: (source, filename).
A pool worker needs both to make the same module."""


def load_module(source: str, name: str, filename: str, names: dict[str, Any] | None = None) -> types.ModuleType:
    """Runs ``source`` as the module ``name``, registered in ``sys.modules``, and returns it.

    ``names`` are put in the module's globals before it runs (the lab's ``print``, see
    ``app.core.code_output``): a name the text defines itself replaces them, as it would a builtin.

    ``filename`` names the code in tracebacks and frames; its lines are put in ``linecache``,
    so tracebacks and the freeze watchdog (``app.core.freeze_cause``) can show them: the text
    is the only copy. (No mtime: ``linecache.checkcache`` leaves the entry alone.) Raises what
    compiling or running the text raises, and then leaves ``sys.modules`` as it was.
    """
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(name)
    setattr(module, _SOURCE, (source, filename))
    module.__dict__.update(names or {})
    # Registered while it runs, as an import does (dataclasses look their module up there), and
    # kept, so pickle can name what it defines (results coming back from a pool's worker).
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)  # noqa: S102 - a lesson's text, which the user sees and runs
    except BaseException:
        if previous is None:
            del sys.modules[name]
        else:
            sys.modules[name] = previous
        raise
    return module


def lesson_source(module_name: str) -> tuple[str, str] | None:
    """(source, filename) the lesson module ``module_name`` was made from; None for any other module."""
    return _made_from(vars(sys.modules[module_name])) if module_name in sys.modules else None


def _made_from(namespace: dict[str, Any]) -> tuple[str, str] | None:
    made = namespace.get(_SOURCE)
    return made if isinstance(made, tuple) and len(made) == 2 and all(isinstance(part, str) for part in made) else None


# --- sending lesson functions to another process ----------------------------------------------

_loaded: dict[str, tuple[str, types.ModuleType]] = {}
"""In a worker: the lesson modules it has run so far, by name, with their text."""


def _module_in_worker(name: str, source: str, filename: str) -> types.ModuleType:
    """The lesson module ``name`` made from ``source`` in this process, run once per text."""
    loaded = _loaded.get(name)
    if loaded is None or loaded[0] != source:
        loaded = _loaded[name] = (source, load_module(source, name, filename))
    return loaded[1]


def _lesson_object(name: str, source: str, filename: str, qualname: str) -> Any:
    """Unpickles a function or class of a lesson: runs its module's text here if needed, then
    looks it up by name, as pickle does for any module."""
    found: Any = _module_in_worker(name, source, filename)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


class _LessonPickler(pickle.Pickler):
    """Pickles a lesson's functions and classes with the lesson's text, so another process can
    make them; everything else as usual."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.FunctionType):
            # The text of the function's own module (a newer run of the lesson may have replaced it since).
            made = _made_from(obj.__globals__)
        elif isinstance(obj, type) and isinstance(obj.__module__, str):
            made = lesson_source(obj.__module__)
        else:
            return NotImplemented
        if made is None or "<" in obj.__qualname__:  # not a lesson's, or a lambda or a local: pickle says why
            return NotImplemented
        source, filename = made
        return _lesson_object, (obj.__module__, source, filename, obj.__qualname__)


def _dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _LessonPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _call(payload: bytes) -> Any:
    """Runs in the worker: the call the lesson asked for."""
    fn, args, kwargs = pickle.loads(payload)
    return fn(*args, **kwargs)


class LessonPool(concurrent.futures.ProcessPoolExecutor):
    """A process pool (``spawn`` unless told otherwise) whose work may be a function the
    lesson's code defines: see the module's docstring."""

    def __init__(self, max_workers: int | None = None, mp_context: Any = None, **kwargs: Any) -> None:
        # "spawn": a fresh interpreter, not a fork of this one with Qt and its threads inside.
        super().__init__(max_workers, mp_context or multiprocessing.get_context("spawn"), **kwargs)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        # Pickled here, on the caller's thread: a function that cannot be sent fails at the
        # lesson's own line, with pickle's reason, rather than later in the pool's thread.
        return super().submit(_call, _dumps((fn, args, kwargs)))
