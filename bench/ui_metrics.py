"""How big the window code is: ``python bench/ui_metrics.py``.

Issue 11 split an 880-line ``MainWindow`` with 53 methods into panels, and set two limits so it
stays split: ``app/ui/main_window.py`` under :data:`MAX_MAIN_WINDOW_LINES` lines, and no class in
``app/ui`` with more than :data:`MAX_METHODS` methods. This prints the line count of
``main_window.py`` and the method count of every class in ``app/ui`` (read from the source with
``ast``, nothing imported, so it runs without Qt), largest first, then PASS or FAIL; it exits 1
on FAIL. tests/core/test_structure.py runs the same check.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MAIN_WINDOW_LINES = 300
"""main_window.py must have fewer lines than this."""
MAX_METHODS = 25
"""No class in app/ui may have more methods than this."""


@dataclass(frozen=True)
class ClassSize:
    """One class in app/ui and how many methods it defines itself (properties and Qt overrides count)."""

    path: str
    """Relative to the repository, e.g. "app/ui/main_window.py"."""
    name: str
    """Dotted for a nested class: "Outer.Inner"."""
    methods: int

    def __str__(self) -> str:
        return f"{self.path}:{self.name}"


def line_count(path: Path) -> int:
    """Lines in the file, as ``wc -l`` counts them (a last line without a newline counts too)."""
    text = path.read_text(encoding="utf-8")
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def class_sizes(root: Path = ROOT, package: str = "app/ui") -> list[ClassSize]:
    """Every class defined in ``package`` (nested ones too), with its method count, largest first."""
    found: list[ClassSize] = []

    def visit(body: list[ast.stmt], path: str, prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                name = f"{prefix}{node.name}"
                methods = sum(isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) for item in node.body)
                found.append(ClassSize(path, name, methods))
                visit(node.body, path, f"{name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, path, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):  # classes defined conditionally
                for part in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, part, []), path, prefix)
            elif isinstance(node, ast.ExceptHandler):
                visit(node.body, path, prefix)

    for file in sorted((root / package).rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        visit(ast.parse(file.read_text(encoding="utf-8"), relative).body, relative, "")
    return sorted(found, key=lambda size: (-size.methods, str(size)))


def problems(root: Path = ROOT) -> list[str]:
    """What breaks the limits, in words; empty when everything is within them."""
    found = []
    lines = line_count(root / "app/ui/main_window.py")
    if lines >= MAX_MAIN_WINDOW_LINES:
        found.append(f"app/ui/main_window.py has {lines} lines (must be under {MAX_MAIN_WINDOW_LINES})")
    found += [f"{size} has {size.methods} methods (at most {MAX_METHODS})" for size in class_sizes(root) if size.methods > MAX_METHODS]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to measure (default: this one)")
    args = parser.parse_args(argv)
    root: Path = args.root
    print(f"app/ui/main_window.py: {line_count(root / 'app/ui/main_window.py')} lines (limit: under {MAX_MAIN_WINDOW_LINES})")
    sizes = class_sizes(root)
    print(f"Classes in app/ui: {len(sizes)}; methods per class (limit: {MAX_METHODS}):")
    for size in sizes:
        print(f"  {size.methods:3d}  {size}")
    if sizes:
        print(f"Most methods: {sizes[0].methods} ({sizes[0]})")
    found = problems(root)
    for problem in found:
        print(f"FAIL: {problem}")
    print("FAIL" if found else "PASS")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
