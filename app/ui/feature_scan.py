"""PySide6's look at every imported module, without keeping their sources in memory.

Once PySide6 is imported, it checks every module imported after it for ``from __feature__
import`` (its opt-in ``snake_case`` and ``true_property``): ``shibokensupport.feature`` reads the
module's whole source with ``inspect.getsource`` and asks whether it says "PySide6". That read
goes through ``linecache``, which keeps every line of every such module for the life of the
process (PYSIDE-2029's check; napari#8584 measured the same start-up tax). In LoopLab, by the
time the lab was ready to run: 394 files, 176,000 lines, 15.8 MiB of strings held for nothing,
and about 35 ms of reading before the first paint, 50 ms more on the start-up thread.

:func:`install` gives PySide the same answer, read straight from the file as bytes and dropped at
once. Anything without a source file to read (an extension or built-in module, a zip's) still
goes to PySide's own check. A module that does ``from __feature__ import`` is unaffected:
PySide records its choice while importing it, before this check runs. If a PySide6 release
renames or drops the check, :func:`install` leaves PySide as it is, logs why, and
``tests/ui/test_feature_scan.py`` fails, to be looked at again.

``app.ui`` installs it as the package is imported: before any of LoopLab's Qt modules loads.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import ModuleType

import PySide6  # noqa: F401 - it installs the import hook this module adjusts

log = logging.getLogger(__name__)

FEATURE_MODULE = "shibokensupport.feature"
CHECK = "_mod_uses_pyside"
"""The function PySide's import hook calls for each newly imported module (``module -> bool``)."""


def install() -> bool:
    """Makes PySide's check read sources without ``linecache``. True if it is in place (or was already)."""
    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, CHECK, None)
    if feature is None or not callable(original):
        log.info("PySide6 has no %s.%s: its check of imported modules is left as it is", FEATURE_MODULE, CHECK)
        return False
    if getattr(original, "_looplab", False):
        return True
    setattr(feature, CHECK, _uncached(original))
    return True


def _uncached(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def mentions_pyside(module: ModuleType) -> bool:
        """Whether ``module``'s source says "PySide6", as PySide's own check asks, read without
        linecache: from its ``.py`` file (frozen standard modules such as ``os`` have one too)."""
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)  # an extension or a built-in module (no source), or a .pyc
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()  # Python source is ASCII-compatible
        except OSError:  # a path that is no file (inside a zip, say): PySide's way finds it
            return original(module)

    mentions_pyside._looplab = True  # type: ignore[attr-defined]
    return mentions_pyside
