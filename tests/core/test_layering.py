"""app/core must stay Qt-free: it is what lessons, benchmarks and the CLI build on."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import app.core

FORBIDDEN = ("PySide6", "shiboken6", "qasync")
CORE_DIR = Path(app.core.__file__).parent


def qt_imports(source: str) -> list[str]:
    """The Qt (or qasync) modules a piece of Python source imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in FORBIDDEN]


def test_importing_core_loads_no_qt_module() -> None:
    modules = sorted(p.stem for p in CORE_DIR.glob("*.py") if p.stem != "__init__")
    assert {"fetch", "run", "lag", "demo_server"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module('app.core.' + name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_no_core_source_file_imports_qt() -> None:
    offenders = {
        path.name: names
        for path in CORE_DIR.rglob("*.py")
        if (names := qt_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_source_check_sees_every_import_form() -> None:
    source = "import os\nimport qasync\nfrom PySide6.QtCore import QObject\ndef f():\n    import shiboken6\n"
    assert qt_imports(source) == ["qasync", "PySide6.QtCore", "shiboken6"]
