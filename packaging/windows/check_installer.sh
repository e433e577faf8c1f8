#!/usr/bin/env bash
# The Windows installer, checked on Debian: packaging/windows/looplab.iss compiled by Inno Setup's
# own compiler (ISCC.exe, from the npm package `innosetup`) under wine, around a stand-in for the
# PyInstaller bundle, then installed and uninstalled silently under wine, as IT would:
#
#   1. for one user (/CURRENTUSER): files in %LOCALAPPDATA%\Programs\LoopLab, shortcuts in the
#      user's Start menu, the uninstaller registered under HKCU;
#   2. for all users (/ALLUSERS): files in C:\Program Files\LoopLab, shortcuts in the common
#      Start menu, the uninstaller registered under HKLM;
#   3. for all users into another folder (/ALLUSERS /DIR=C:\Apps\LoopLab);
#
# each time checking the files, the Start-menu shortcuts (and that no desktop shortcut appears
# unasked), the uninstaller's entry in the registry and that the other mode's places stay
# empty; then uninstalling with the registered UninstallString and /VERYSILENT, and checking
# that all of it is gone. Exits non-zero, saying what is wrong, at the first failure.
#
#   bash packaging/windows/check_installer.sh
#
# CI runs it from .ci/run (as root). It installs what it needs: Debian's wine with its 32-bit
# half (Inno Setup's compiler and its Setup program are 32-bit Windows programs, which wine64
# alone cannot start: "failed to open ... syswow64\rundll32.exe: c0000135"), so i386 is added as
# a foreign architecture; xvfb; and `innosetup` into build/innosetup with npm. The wine prefix is
# new and temporary for every run. Needs build/icons/looplab.ico (`make package` makes it; otherwise it
# is rendered with .venv's Python).
#
# What it cannot check: the stand-in is not the real bundle (the release workflow installs that
# on a Windows runner and runs its doctor), and under wine the user is always an administrator,
# so "per user needs no admin rights" is Windows' word, not this script's.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

INNOSETUP_VERSION=6.4.1
APP_ID="{BF7AE446-D851-4290-8945-1C5F50B47D0E}"  # looplab.iss's AppId (tests/test_packaging.py)
UNINSTALL_KEY="Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${APP_ID}_is1"
WINE_TIMEOUT=300  # seconds for one wine program: a message box nobody answers must not hang CI

work="$root/build/windows-check"
iscc="$root/build/innosetup/node_modules/innosetup/bin/ISCC.exe"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)

step() { printf '\n=== %s\n' "$*"; }
fail() {
  printf '\nFAILED: %s\n' "$*" >&2
  exit 1
}

# --- what it needs, installed (outside the virtual display) ------------------------------------
install_tools() {
  local sudo="" packages=(wine wine64 wine32:i386 xvfb xauth) missing=() pkg
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  command -v npm >/dev/null || packages+=(npm)
  for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing ${missing[*]}"
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
      $sudo dpkg --add-architecture i386
    fi
    $sudo apt-get update
    # Newer amd64 versions of the libraries wine32 shares with the system may come along: a
    # Multi-Arch: same package must be the same version in both architectures.
    $sudo apt-get install -y --no-install-recommends "${packages[@]}"
  fi
  if [ ! -f "$iscc" ]; then
    step "Installing Inno Setup $INNOSETUP_VERSION (npm package innosetup) into build/innosetup"
    mkdir -p build/innosetup
    npm install --prefix build/innosetup --no-audit --no-fund --no-save "innosetup@$INNOSETUP_VERSION"
  fi
  test -f "$iscc" || fail "no ISCC.exe at $iscc after npm install innosetup"
  if [ ! -f build/icons/looplab.ico ]; then
    step "Rendering the icons (build/icons)"
    "${PYTHON:-.venv/bin/python}" packaging/icons.py build/icons
  fi
}

if [ -z "${LOOPLAB_CHECK_UNDER_XVFB:-}" ]; then
  started=$SECONDS
  install_tools
  echo "Tools ready in $((SECONDS - started)) s"
  # Inno Setup's Setup builds its wizard window even with /VERYSILENT, and fails without a
  # display ("Error reading FPreparingMemo.Lines.Strings: A call to an OS function failed").
  # One virtual display for the whole run: wine's desktop process is started by the first wine
  # program and outlives it, and one started without a display serves the later ones without.
  export LOOPLAB_CHECK_UNDER_XVFB=1
  # By its path from the root: "$0" may be relative to the folder it was started from.
  exec xvfb-run -a -s "-screen 0 1024x768x24" bash "$root/packaging/windows/$(basename "$0")" "$@"
fi

# --- from here on, under Xvfb ------------------------------------------------------------------
started=$SECONDS
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono or Gecko: their installers would ask, under Xvfb where nobody answers, to download
# them (nothing here needs .NET or a browser engine). No winemenubuilder: it would copy every
# Start-menu shortcut into the real home's desktop menus (~/.local/share/applications/wine).
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
scratch=$(mktemp -d)
export WINEPREFIX="$scratch/wine"
export HOME="$scratch/home"  # whatever else wine keeps in a home, it keeps here
mkdir -p "$HOME"
cleanup() {
  wineserver -k 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$work/logs"

# Runs a Windows program under wine with a time limit, then waits for every process it left
# (an uninstaller hands over to a copy of itself that deletes the files after it exits).
run_wine() {
  local status=0
  timeout "$WINE_TIMEOUT" wine "$@" || status=$?
  timeout "$WINE_TIMEOUT" wineserver -w || true
  if [ "$status" -eq 124 ]; then
    echo "wine $1 did not finish within $WINE_TIMEOUT s (a dialog waiting for an answer?)" >&2
  fi
  return "$status"
}
win_env() { wine cmd /c echo "%$1%" | tr -d '\r'; }
unix_path() { winepath -u "$1" | tr -d '\r'; }
win_path() { winepath -w "$1" | tr -d '\r'; }
# The registry as 64-bit programs see it: Setup runs in 64-bit mode. Debian's `wine` starts the
# 32-bit reg.exe when wine32 is installed, which sees the 32-bit view, where the uninstaller's
# key is not; wine's 64-bit loader starts the 64-bit reg.exe (reg's own /reg:64 switch works
# too, but only in newer wines than Ubuntu 22.04's).
wine64=$(command -v wine64 || echo /usr/lib/wine/wine64)
reg_value() {  # key, value name: the value's data, or nothing
  # Asked up to three times: on a loaded machine wine's reg.exe now and then answers nothing for
  # a value that is there (CI once read an empty InstallLocation, then the right one a moment later).
  local value _
  for _ in 1 2 3; do
    value=$("$wine64" reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p")
    [ -n "$value" ] && break
  done
  printf '%s\n' "$value"
}
reg_has_key() { "$wine64" reg query "$1" >/dev/null 2>&1; }

step "A fresh wine prefix"
timeout "$WINE_TIMEOUT" wineboot --init
timeout "$WINE_TIMEOUT" wineserver -w
wine --version
local_appdata=$(win_env LOCALAPPDATA)
user_programs="$(win_env APPDATA)\\Microsoft\\Windows\\Start Menu\\Programs"
common_programs="$(win_env ProgramData)\\Microsoft\\Windows\\Start Menu\\Programs"
user_desktop="$(win_env USERPROFILE)\\Desktop"
common_desktop="$(win_env PUBLIC)\\Desktop"
program_files=$(win_env ProgramW6432)  # %ProgramFiles% is "Program Files (x86)" in 32-bit cmd
echo "Prefix ready in $((SECONDS - started)) s"

step "A stand-in bundle where PyInstaller's dist/looplab would be"
bundle="$work/bundle"
mkdir -p "$bundle/_internal/app/_resources"
printf 'Stand-in for looplab.exe (packaging/windows/check_installer.sh)\r\n' >"$bundle/looplab.exe"
printf 'Stand-in for looplab-cli.exe (packaging/windows/check_installer.sh)\r\n' >"$bundle/looplab-cli.exe"
printf 'stand-in\r\n' >"$bundle/_internal/base_library.zip"
cp resources/looplab.svg "$bundle/_internal/app/_resources/"
bundle_files=(looplab.exe looplab-cli.exe _internal/base_library.zip _internal/app/_resources/looplab.svg)
find "$bundle" -type f | sed "s|^$work/||"

# The release script as the release builds it (only BundleDir and the output folder differ),
# and, for the per-user checks only, with the workaround for wine's missing {userpf}.
compile() {  # name, extra ISCC options...
  local name=$1 out="$work/$1"
  shift
  mkdir -p "$out"
  if ! timeout "$WINE_TIMEOUT" wine "$iscc" "/DAppVersion=$version" "/DBundleDir=$(win_path "$bundle")" \
    "/O$(win_path "$out")" "$@" "$(win_path "$root/packaging/windows/looplab.iss")" >"$work/logs/iscc-$name.log" 2>&1; then
    cat "$work/logs/iscc-$name.log" >&2
    fail "ISCC could not compile packaging/windows/looplab.iss ($name)"
  fi
  grep -E "^(Successful compile|Resulting Setup program filename)" "$work/logs/iscc-$name.log" || true
  setup="$out/LoopLab-$version-windows-x64-setup.exe"
  test -f "$setup" || fail "ISCC said it compiled, but there is no $setup"
  echo "$name: $setup ($(stat -c %s "$setup") bytes)"
}
step "Compiling packaging/windows/looplab.iss with Inno Setup $INNOSETUP_VERSION under wine"
compile release
release_setup=$setup
compile wine-userpf /DWineUserProgramFiles
userpf_setup=$setup
echo "Compiled in $((SECONDS - started)) s"

# Places of one install mode, as Windows paths: install folder, Start menu, desktop, registry root.
places() {
  case $1 in
    user) echo "$local_appdata\\Programs\\LoopLab|$user_programs|$user_desktop|HKCU" ;;
    all) echo "$program_files\\LoopLab|$common_programs|$common_desktop|HKLM" ;;
  esac
}

check_installed() {  # mode, install folder (Windows path)
  local mode=$1 app=$2 programs desktop hive other other_app other_programs other_hive app_unix file lnk key name shown_version location
  IFS='|' read -r _ programs desktop hive <<<"$(places "$mode")"
  app_unix=$(unix_path "$app")
  [ -d "$app_unix" ] || fail "$mode: no install folder $app"
  for file in "${bundle_files[@]}"; do
    cmp -s "$bundle/$file" "$app_unix/$file" || fail "$mode: $app\\$file is missing or not the bundle's"
  done
  [ -f "$app_unix/unins000.exe" ] || fail "$mode: no uninstaller $app\\unins000.exe"
  for lnk in "LoopLab.lnk" "LoopLab doctor.lnk"; do
    [ -f "$(unix_path "$programs\\$lnk")" ] || fail "$mode: no Start-menu shortcut $programs\\$lnk"
  done
  # A .lnk keeps its target's full path as plain text (its LinkInfo).
  grep -aqF "$app\\looplab.exe" "$(unix_path "$programs\\LoopLab.lnk")" ||
    fail "$mode: the Start-menu shortcut does not point at $app\\looplab.exe"
  [ ! -e "$(unix_path "$desktop\\LoopLab.lnk")" ] || fail "$mode: a desktop shortcut nobody asked for"
  key="$hive\\$UNINSTALL_KEY"
  reg_has_key "$key" || fail "$mode: no uninstaller entry $key"
  # Each value read once: the message shows what was compared.
  name=$(reg_value "$key" DisplayName)
  [ "$name" = "LoopLab" ] || fail "$mode: $key has DisplayName '$name'"
  shown_version=$(reg_value "$key" DisplayVersion)
  [ "$shown_version" = "$version" ] || fail "$mode: $key has DisplayVersion '$shown_version'"
  location=$(reg_value "$key" InstallLocation)
  [ "$location" = "$app\\" ] || fail "$mode: $key has InstallLocation '$location', not '$app\\'"
  # Nothing in the other mode's places.
  other=$([ "$mode" = user ] && echo all || echo user)
  IFS='|' read -r other_app other_programs _ other_hive <<<"$(places "$other")"
  [ "$app" = "$other_app" ] || [ ! -e "$(unix_path "$other_app")" ] || fail "$mode: files in $other_app too"
  [ ! -e "$(unix_path "$other_programs\\LoopLab.lnk")" ] || fail "$mode: a shortcut in $other_programs too"
  ! reg_has_key "$other_hive\\$UNINSTALL_KEY" || fail "$mode: an uninstaller entry under $other_hive too"
  echo "$mode: files in $app, shortcuts in $programs, uninstaller under $key"
}

check_gone() {  # mode, install folder (Windows path)
  local mode=$1 app=$2 programs hive lnk
  IFS='|' read -r _ programs _ hive <<<"$(places "$mode")"
  [ ! -e "$(unix_path "$app")" ] || fail "$mode: $app is still there after uninstalling: $(find "$(unix_path "$app")" | head -5)"
  for lnk in "LoopLab.lnk" "LoopLab doctor.lnk"; do
    [ ! -e "$(unix_path "$programs\\$lnk")" ] || fail "$mode: $programs\\$lnk is still there after uninstalling"
  done
  ! reg_has_key "$hive\\$UNINSTALL_KEY" || fail "$mode: $hive\\$UNINSTALL_KEY is still there after uninstalling"
  echo "$mode: folder, shortcuts and uninstaller entry gone"
}

install_and_uninstall() {  # label, mode, setup.exe, install folder (Windows path), Setup options...
  local label=$1 mode=$2 setup=$3 app=$4 hive status=0 uninstaller log
  shift 4
  step "$label: $* /VERYSILENT /SUPPRESSMSGBOXES /NORESTART"
  log="$work/logs/install-$label.log"
  run_wine "$setup" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART "$@" "/LOG=$(win_path "$log")" || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2 2>/dev/null || true
    fail "$label: Setup exited with $status (Inno Setup's exit codes: see the README)"
  fi
  check_installed "$mode" "$app"

  step "$label: silent uninstall with the registered UninstallString"
  IFS='|' read -r _ _ _ hive <<<"$(places "$mode")"
  uninstaller=$(reg_value "$hive\\$UNINSTALL_KEY" UninstallString | tr -d '"')
  [ "$uninstaller" = "$app\\unins000.exe" ] || fail "$label: UninstallString is '$uninstaller', not '$app\\unins000.exe'"
  log="$work/logs/uninstall-$label.log"
  run_wine "$uninstaller" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART "/LOG=$(win_path "$log")" || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2 2>/dev/null || true
    fail "$label: the uninstaller exited with $status"
  fi
  check_gone "$mode" "$app"
}

IFS='|' read -r user_app _ <<<"$(places user)"
IFS='|' read -r all_app _ <<<"$(places all)"
install_and_uninstall per-user user "$userpf_setup" "$user_app" /CURRENTUSER
install_and_uninstall all-users all "$release_setup" "$all_app" /ALLUSERS
install_and_uninstall all-users-dir all "$release_setup" 'C:\Apps\LoopLab' /ALLUSERS '/DIR=C:\Apps\LoopLab'

printf '\nWindows installer check passed in %d s under wine (%s): compiled, installed and uninstalled silently per user and for all users\n' \
  "$((SECONDS - started))" "$(wine --version)"
