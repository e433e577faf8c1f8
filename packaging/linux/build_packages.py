"""Builds LoopLab's Linux packages from the PyInstaller bundle in dist/looplab/.

    python packaging/linux/build_packages.py      (`make package` runs it after PyInstaller)

writes

- ``dist/looplab_<version>_amd64.deb``: the bundle in /opt/looplab, the ``looplab`` command in
  /usr/bin, the desktop entry and the hicolor icons; it depends on the system libraries Qt
  needs, as dpkg-shlibdeps finds them in the bundle's programs and libraries;
- ``dist/looplab-<version>-linux-x86_64.tar.gz``: the same bundle, for other distributions
  (unpack it anywhere and run ``looplab/looplab``).

Run on the oldest system the packages must support (the release workflow uses Ubuntu 22.04):
the bundle needs that glibc or newer, and the Depends name that system's package versions.
Fails if the .deb is over 45 MB, the limit a school network's download filter may set.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE = DIST / "looplab"
ICONS = ROOT / "build" / "icons" / "hicolor"  # made by packaging/icons.py
STAGE = ROOT / "build" / "deb"
PACKAGE = "looplab"
INSTALL_DIR = Path("opt") / PACKAGE
MAX_DEB_BYTES = 45 * 1000 * 1000

DESCRIPTION = """\
See the difference between blocking and non-blocking Python
 LoopLab is a desktop lab for classrooms. It fetches a list of URLs two ways:
 with aiohttp on an event loop, where the window stays alive, and with requests
 on the GUI thread, where the window freezes and LoopLab measures for how long.
 It brings its own demo server, so every lesson works offline.
 .
 Run `looplab doctor` to check that this computer can run it."""


def version() -> str:
    """app.__version__, read without importing the app."""
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not match:
        raise SystemExit("app/__init__.py has no __version__")
    return match.group(1)


def stage(package_root: Path) -> None:
    """Lays out the .deb's files under ``package_root``, as they will be installed."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    shutil.copytree(BUNDLE, package_root / INSTALL_DIR, symlinks=True)
    bin_dir = package_root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # A symlink, not a copy: the bundle's program finds its _internal/ folder next to its real path.
    (bin_dir / PACKAGE).symlink_to(Path("/") / INSTALL_DIR / PACKAGE)
    applications = package_root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "looplab.desktop", applications / "looplab.desktop")
    shutil.copytree(ICONS, package_root / "usr" / "share" / "icons" / "hicolor")
    doc = package_root / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    (doc / "copyright").write_text(f"LoopLab\n\nLicense: MIT\n\n{license_text}", encoding="utf-8")
    normalize_permissions(package_root)


def normalize_permissions(top: Path) -> None:
    """0755 for folders and programs, 0644 for the rest, whatever the build machine's umask."""
    for path in [top, *top.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or mode & stat.S_IXUSR
        path.chmod(0o755 if executable else 0o644)


def elf_files(top: Path) -> list[Path]:
    found = []
    for path in sorted(top.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def shlib_depends(package_root: Path) -> str:
    """The Depends on system libraries, from dpkg-shlibdeps over every program and library."""
    (STAGE / "debian" / "control").write_text(f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: amd64\n")
    bundle = package_root / INSTALL_DIR
    # dpkg-shlibdeps resolves $ORIGIN in RPATHs relative to a package root marked by DEBIAN/.
    (package_root / "DEBIAN").mkdir()
    library_dirs = sorted({p.parent for p in bundle.rglob("*.so*")})
    command = [
        "dpkg-shlibdeps",
        "-O",
        f"-T{STAGE / 'debian' / 'substvars'}",
        # No "unused link" or "symbol not found" warnings: the first are Qt's own business, the
        # second come from every Python extension (libpython is loaded by the bootloader, not
        # linked). Missing *libraries* still fail the build, and the smoke test runs the bundle.
        "--warnings=0",
        *(f"-l{d.relative_to(STAGE)}" for d in library_dirs),
        *(f"-e{f.relative_to(STAGE)}" for f in elf_files(bundle)),
    ]
    result = subprocess.run(command, cwd=STAGE, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit("dpkg-shlibdeps failed: a library the bundle needs is missing on this machine (see above)")
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    for line in warnings:
        print(line, file=sys.stderr)
    match = re.search(r"^shlibs:Depends=(.*)$", result.stdout, re.M)
    if not match:
        raise SystemExit(f"dpkg-shlibdeps printed no Depends: {result.stdout!r}")
    return match.group(1)


def installed_size_kib(top: Path) -> int:
    total = sum(p.lstat().st_size for p in top.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def build_deb(version_text: str) -> Path:
    package_root = STAGE / "debian" / PACKAGE
    stage(package_root)
    depends = shlib_depends(package_root)
    control = (
        f"Package: {PACKAGE}\n"
        f"Version: {version_text}\n"
        "Architecture: amd64\n"
        "Maintainer: The LoopLab team <looplab@looplab.invalid>\n"
        f"Installed-Size: {installed_size_kib(package_root)}\n"
        f"Depends: {depends}\n"
        "Section: education\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )
    (package_root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    (package_root / "DEBIAN").chmod(0o755)
    deb = DIST / f"{PACKAGE}_{version_text}_amd64.deb"
    subprocess.run(
        # xz: about a third smaller than gzip for Qt's libraries; root-owned files whoever builds.
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-z9", "--build", str(package_root), str(deb)],
        check=True,
    )
    print(f"Depends: {depends}")
    return deb


def build_tarball(version_text: str) -> Path:
    tarball = DIST / f"{PACKAGE}-{version_text}-linux-x86_64.tar.gz"

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(tarball, "w:gz", compresslevel=9) as archive:
        archive.add(BUNDLE, arcname=PACKAGE, filter=owned_by_root)
    return tarball


def main() -> int:
    if not (BUNDLE / PACKAGE).is_file():
        raise SystemExit(f"No bundle at {BUNDLE}: run PyInstaller first (make package does)")
    if not ICONS.is_dir():
        raise SystemExit(f"No icons at {ICONS}: run packaging/icons.py first (make package does)")
    version_text = version()
    deb = build_deb(version_text)
    tarball = build_tarball(version_text)
    for path in (deb, tarball):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.1f} MB")
    if deb.stat().st_size > MAX_DEB_BYTES:
        raise SystemExit(f"{deb.name} is {deb.stat().st_size / 1e6:.1f} MB, over the {MAX_DEB_BYTES / 1e6:.0f} MB limit")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
