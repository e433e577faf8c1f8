#!/usr/bin/env bash
# Packs dist/LoopLab.app into a disk image: dist/LoopLab-<version>-macos-arm64.dmg.
#
# Run on macOS (hdiutil is macOS's own), from anywhere, after PyInstaller has built the .app
# with packaging/looplab.spec (the release workflow does both):
#
#   bash packaging/macos/make_dmg.sh
#
# The image opens to LoopLab.app next to a link to /Applications: drag one onto the other.
# The .app is only ad-hoc signed (PyInstaller signs it so Apple Silicon runs it), not signed
# with a Developer ID nor notarized: Gatekeeper asks once, see the README.
set -euo pipefail
cd "$(dirname "$0")/../.."

app="dist/LoopLab.app"
if [ ! -d "$app" ]; then
  echo "No $app: build it first with pyinstaller packaging/looplab.spec" >&2
  exit 1
fi
# The version the .app says it is must be the one in app/__init__.py.
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
expected=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)
if [ "$version" != "$expected" ]; then
  echo "$app says version $version, app/__init__.py says $expected: rebuild the .app" >&2
  exit 1
fi
arch=$(uname -m)  # arm64 on the macos-14 runners
dmg="dist/LoopLab-${version}-macos-${arch}.dmg"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# ditto keeps the bundle's symlinks, permissions and (ad-hoc) signature intact.
ditto "$app" "$stage/LoopLab.app"
ln -s /Applications "$stage/Applications"

rm -f "$dmg"
hdiutil create -volname "LoopLab $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
hdiutil verify "$dmg"
echo "$dmg"
