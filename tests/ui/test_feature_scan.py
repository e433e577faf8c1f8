"""PySide6 still learns which modules mention it, but no source is kept in linecache (app.ui.feature_scan)."""

from __future__ import annotations

import importlib
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import app.ui  # noqa: F401 - installs the check, as every LoopLab Qt module's import does
from app.ui import feature_scan


@pytest.fixture
def modules_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("looplab_scan_")]:
            del sys.modules[name]


def test_a_module_imported_after_pyside_is_checked_as_pyside_checks_it_and_its_source_is_not_kept(modules_dir: Path) -> None:
    (modules_dir / "looplab_scan_qt.py").write_text("from PySide6.QtCore import QObject\n" + "x = 1\n" * 1000, encoding="utf-8")
    (modules_dir / "looplab_scan_plain.py").write_text("import json\n" + "y = 2\n" * 1000, encoding="utf-8")
    importlib.invalidate_caches()

    # An import statement, as modules import: PySide's hook replaces __import__ (importlib.import_module goes around it).
    import looplab_scan_plain  # type: ignore[import-not-found]  # noqa: F401
    import looplab_scan_qt  # type: ignore[import-not-found]  # noqa: F401

    feature = sys.modules[feature_scan.FEATURE_MODULE]
    # PySide's verdicts, unchanged: 0 for a module that uses it, -1 ("ignore") for one that does not.
    assert feature.pyside_feature_dict["looplab_scan_qt"] == 0
    assert feature.pyside_feature_dict["looplab_scan_plain"] == -1
    kept = {name for name in linecache.cache if Path(name).name.startswith("looplab_scan_")}
    assert kept == set(), "PySide's check left these sources in linecache"


def test_the_check_is_in_place_and_installing_it_again_changes_nothing() -> None:
    feature = sys.modules[feature_scan.FEATURE_MODULE]
    check = getattr(feature, feature_scan.CHECK)
    assert feature_scan.install()
    assert getattr(feature, feature_scan.CHECK) is check
    assert getattr(check, "_looplab", False), "PySide6 changed its import check: see app/ui/feature_scan.py"
