; LoopLab's Windows installer, for Inno Setup 6.
;
; For one user or for all users. By default it installs for the person running it, without
; administrator rights (school laptops rarely give them): into %LOCALAPPDATA%\Programs\LoopLab,
; with LoopLab in that user's Start menu. Its first page offers "Install for all users" instead
; (administrator rights: C:\Program Files\LoopLab and the Start menu of everyone on the computer);
; IT's silent installs choose with /ALLUSERS or /CURRENTUSER (the README's "Deploying LoopLab in
; a school"). Either way a desktop shortcut is offered, unticked, and an uninstaller is
; registered in Settings > Apps (under HKLM for all users, HKCU for one).
;
; Built by .github/workflows/release.yml, from the repository root, after PyInstaller has made
; dist\looplab\ (packaging\looplab.spec) and packaging\icons.py has made build\icons\looplab.ico:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\looplab.iss
;
; The version is passed in, read from app.__version__, so it is never written down twice.
; Writes dist\LoopLab-<version>-windows-x64-setup.exe.
;
; /DBundleDir=<folder> packs another folder than dist\looplab, and ISCC's /O<folder> writes the
; installer elsewhere: packaging/windows/check_installer.sh compiles this same script on Debian
; (ISCC under wine) around a stand-in bundle, then installs and uninstalls it in both modes.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=x.y.z packaging\windows\looplab.iss (the release workflow reads it from app.__version__)
#endif

; The same names as packaging\looplab.spec (tests\test_packaging.py keeps them in step).
#define AppName "LoopLab"
#define AppExeName "looplab.exe"
#define AppCliExeName "looplab-cli.exe"
#ifndef BundleDir
#define BundleDir "..\..\dist\looplab"
#endif
#define IconFile "..\..\build\icons\looplab.ico"

[Setup]
; Windows recognises an update of LoopLab by this id: never change it.
AppId={{BF7AE446-D851-4290-8945-1C5F50B47D0E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The LoopLab team
AppComments=See the difference between blocking and non-blocking Python
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
; Per user unless asked otherwise: with the lowest privileges {autopf} is %LOCALAPPDATA%\Programs
; and {autoprograms} / {autodesktop} are the user's own Start menu and desktop. The override lets
; the first page (dialog) or the command line (/ALLUSERS, /CURRENTUSER) choose the
; administrative install mode instead: {autopf} is then C:\Program Files (64-bit mode), the
; shortcuts go to the common Start menu and desktop, and the uninstaller is registered under
; HKLM. A later run defaults to the mode LoopLab was installed in (UsePreviousPrivileges).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
#ifdef WineUserProgramFiles
; Only for packaging/windows/check_installer.sh, never in a release: Wine 8 cannot expand
; {userpf}, which {autopf} is per user (its SHGetKnownFolderPath does not implement
; FOLDERID_UserProgramFiles and answers E_INVALIDARG, so Setup stops with "Failed to expand
; shell folder constant autopf"). There the folder is spelt out as what Windows makes of it by
; default: %LOCALAPPDATA%\Programs. All users get {commonpf}, as {autopf} gives them.
DefaultDirName={code:WineProgramFiles}\{#AppName}
#else
DefaultDirName={autopf}\{#AppName}
#endif
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
; A running LoopLab would keep its files locked: offer to close it first.
CloseApplications=yes
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller bundle: looplab.exe, looplab-cli.exe and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Comment: "See the difference between blocking and non-blocking Python"
; The self-check, in a console window that stays open so its lines can be read.
Name: "{autoprograms}\{#AppName} doctor"; Filename: "{cmd}"; Parameters: "/k """"{app}\{#AppCliExeName}"" doctor"""; IconFilename: "{app}\{#AppExeName}"; Comment: "Check that LoopLab can run on this computer"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

#ifdef WineUserProgramFiles
[Code]
function WineProgramFiles(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := ExpandConstant('{commonpf}')
  else
    Result := ExpandConstant('{localappdata}\Programs');
end;
#endif
