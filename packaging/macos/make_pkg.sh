#!/usr/bin/env bash
# Packs dist/LoopLab.app into an installer package for managed Macs:
# dist/LoopLab-<version>-macos-arm64.pkg, which installs LoopLab.app into /Applications for
# every user of the Mac.
#
# Run on macOS (pkgbuild, productbuild and pkgutil are macOS's own), from anywhere, after
# PyInstaller has built the .app with packaging/looplab.spec (the release workflow does both):
#
#   bash packaging/macos/make_pkg.sh
#
# What device management deploys (Jamf, Mosyle, Intune, Munki, Apple Remote Desktop) or
# `sudo installer -pkg LoopLab-<version>-macos-arm64.pkg -target /` installs: a product archive
# (productbuild) around one component package (pkgbuild), the form MDM servers expect. The
# .dmg stays the way for a teacher's own Mac.
#
# Not signed unless LOOPLAB_INSTALLER_IDENTITY names a "Developer ID Installer: ..." identity in
# the keychain (productbuild --sign). Tools that install through the MDM protocol itself
# (InstallEnterpriseApplication) need a signed package; Jamf policies, Munki and `installer`
# install an unsigned one. Installed this way the app is not quarantined, so Gatekeeper does not
# ask about the ad-hoc signed app the way it does after a download (see the README).
set -euo pipefail
cd "$(dirname "$0")/../.."

app="dist/LoopLab.app"
if [ ! -d "$app" ]; then
  echo "No $app: build it first with pyinstaller packaging/looplab.spec" >&2
  exit 1
fi
plist="$app/Contents/Info.plist"
# The version the .app says it is must be the one in app/__init__.py.
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$plist")
expected=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)
if [ "$version" != "$expected" ]; then
  echo "$app says version $version, app/__init__.py says $expected: rebuild the .app" >&2
  exit 1
fi
# The package's identifier is the app's bundle identifier (packaging/looplab.spec's BUNDLE_ID):
# `pkgutil --pkg-info org.looplab.LoopLab` then tells IT which version a Mac has.
identifier=$(/usr/libexec/PlistBuddy -c "Print :CFBundleIdentifier" "$plist")
arch=$(uname -m)  # arm64 on the macos-14 runners
pkg="dist/LoopLab-${version}-macos-${arch}.pkg"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/root" "$stage/packages"
# ditto keeps the bundle's symlinks, permissions and (ad-hoc) signature intact.
ditto "$app" "$stage/root/LoopLab.app"

# 1. The component package. `pkgbuild --analyze` describes the bundle; its default,
#    BundleIsRelocatable true, makes Installer "upgrade" a LoopLab.app with the same bundle
#    identifier wherever it finds one (in Downloads, in a build folder, on a mounted .dmg)
#    instead of installing into /Applications. Managed Macs get /Applications, always.
pkgbuild --analyze --root "$stage/root" "$stage/component.plist"
if [ "$(/usr/libexec/PlistBuddy -c "Print :0:RootRelativeBundlePath" "$stage/component.plist")" != "LoopLab.app" ] ||
  /usr/libexec/PlistBuddy -c "Print :1" "$stage/component.plist" >/dev/null 2>&1; then
  echo "pkgbuild --analyze found other bundles than LoopLab.app in $stage/root:" >&2
  cat "$stage/component.plist" >&2
  exit 1
fi
/usr/libexec/PlistBuddy -c "Set :0:BundleIsRelocatable false" "$stage/component.plist"
pkgbuild --root "$stage/root" --component-plist "$stage/component.plist" \
  --install-location /Applications --identifier "$identifier" --version "$version" \
  --ownership recommended "$stage/packages/LoopLab.pkg"

# 2. The product archive: a distribution synthesized from the component, requiring this
#    architecture and macOS 11 (what the README promises), installing only onto the system
#    volume's /Applications (not into a user's home, not anywhere else).
cat >"$stage/requirements.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>os</key>
  <array><string>11.0</string></array>
  <key>arch</key>
  <array><string>${arch}</string></array>
</dict>
</plist>
EOF
productbuild --synthesize --product "$stage/requirements.plist" \
  --package "$stage/packages/LoopLab.pkg" "$stage/distribution.xml"
perl -0pi -e 's|(<installer-gui-script[^>]*>)|$1\n    <title>LoopLab</title>\n    <domains enable_anywhere="false" enable_currentUserHome="false" enable_localSystem="true"/>|' \
  "$stage/distribution.xml"
grep -q '<domains enable_anywhere="false"' "$stage/distribution.xml" || {
  echo "Could not add <title> and <domains> to the synthesized distribution:" >&2
  cat "$stage/distribution.xml" >&2
  exit 1
}

sign=()
if [ -n "${LOOPLAB_INSTALLER_IDENTITY:-}" ]; then
  sign=(--sign "$LOOPLAB_INSTALLER_IDENTITY")
fi
rm -f "$pkg"
productbuild --distribution "$stage/distribution.xml" --package-path "$stage/packages" \
  --identifier "$identifier" --version "$version" "${sign[@]+"${sign[@]}"}" "$pkg"

# 3. Look inside what was built: the app's executable is in the payload, installed into
#    /Applications and not relocatable.
pkgutil --expand "$pkg" "$stage/expanded"
info="$stage/expanded/LoopLab.pkg/PackageInfo"
grep -q 'install-location="/Applications"' "$info" || { echo "$pkg: not installed into /Applications" >&2; exit 1; }
if tr -d ' \t\n' <"$info" | grep -q '<relocate><bundle'; then
  echo "$pkg: LoopLab.app is relocatable" >&2
  exit 1
fi
lsbom -s "$stage/expanded/LoopLab.pkg/Bom" | grep -qx './LoopLab.app/Contents/MacOS/looplab' ||
  { echo "$pkg: no LoopLab.app/Contents/MacOS/looplab in the payload" >&2; exit 1; }
pkgutil --check-signature "$pkg" || true  # "no signature" unless LOOPLAB_INSTALLER_IDENTITY was set
echo "$pkg"
