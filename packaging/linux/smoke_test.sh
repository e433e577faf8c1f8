#!/usr/bin/env bash
# Smoke test of the Linux packages that `make package` left in dist/ (CI runs it from .ci/run).
#
# As a teacher's machine would meet them: the bundle and the unpacked .tar.gz pass `looplab
# doctor`; the .deb installs with apt-get, its desktop entry and icons are in place, the
# installed `looplab doctor` passes, and under a real X server (Xvfb) the installed LoopLab opens
# an xcb window whose --screenshot is not blank; finally the package uninstalls without leftovers.
#
# Needs root (or sudo) for apt-get, and xvfb, xauth and desktop-file-utils (.ci/run installs
# them). Exits non-zero at the first step that fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)
deb="dist/looplab_${version}_amd64.deb"
tarball="dist/looplab-${version}-linux-x86_64.tar.gz"
out="build/smoke"
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n=== %s\n' "$*"; }

step "The bundle's doctor passes (offscreen)"
QT_QPA_PLATFORM=offscreen dist/looplab/looplab doctor

step "The .tar.gz unpacks into a bundle whose doctor passes (offscreen)"
tar -xzf "$tarball" -C "$out"
QT_QPA_PLATFORM=offscreen "$out/looplab/looplab" doctor

step "The .deb is at most 45 MB"
size=$(stat -c %s "$deb")
echo "$deb: $size bytes"
test "$size" -le 45000000

step "The .deb installs with apt-get"
$sudo apt-get install -y "./$deb"

step "The desktop entry is valid, the icons and the command are in place"
desktop-file-validate /usr/share/applications/looplab.desktop
test -f /usr/share/icons/hicolor/scalable/apps/looplab.svg
for size in 16 24 32 48 64 128 256 512; do
  test -f "/usr/share/icons/hicolor/${size}x${size}/apps/looplab.png"
done
test "$(readlink -f "$(command -v looplab)")" = /opt/looplab/looplab
looplab --version

# From / and with a fresh home: nothing from this checkout or this user can help it pass.
home=$(mktemp -d)
installed() { (cd / && env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME HOME="$home" "$@"); }

step "The installed looplab doctor passes (offscreen)"
installed env QT_QPA_PLATFORM=offscreen looplab doctor

step "Under Xvfb the installed LoopLab passes doctor with the xcb plugin"
installed xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb looplab doctor

step "Under Xvfb the installed LoopLab opens a real window and saves it with --screenshot"
shot="$PWD/$out/installed-xcb.png"
installed xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb looplab --screenshot "$shot" \
  | tee "$out/screenshot.log"
grep -q "(xcb platform" "$out/screenshot.log"
.venv/bin/python packaging/linux/check_screenshot.py "$shot"

step "The package uninstalls without leaving files behind"
$sudo apt-get remove -y looplab
test ! -e /opt/looplab
test ! -e /usr/bin/looplab
test ! -e /usr/share/applications/looplab.desktop
rm -rf "$home"

printf '\nSmoke test passed: %s and %s\n' "$deb" "$tarball"
