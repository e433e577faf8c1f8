; LoopLab's Windows installer, for Inno Setup 6.
;
; Per user and without administrator rights (school laptops rarely give them): it installs into
; %LOCALAPPDATA%\Programs\LoopLab, adds LoopLab to the user's Start menu (a desktop shortcut is
; offered, unticked) and registers an uninstaller in Settings > Apps.
;
; Built by .github/workflows/release.yml, from the repository root, after PyInstaller has made
; dist\looplab\ (packaging\looplab.spec) and packaging\icons.py has made build\icons\looplab.ico:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\looplab.iss
;
; The version is passed in, read from app.__version__, so it is never written down twice.
; Writes dist\LoopLab-<version>-windows-x64-setup.exe.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=x.y.z packaging\windows\looplab.iss (the release workflow reads it from app.__version__)
#endif

; The same names as packaging\looplab.spec (tests\test_packaging.py keeps them in step).
#define AppName "LoopLab"
#define AppExeName "looplab.exe"
#define AppCliExeName "looplab-cli.exe"
#define BundleDir "..\..\dist\looplab"
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
; No administrator rights: {autopf} is then %LOCALAPPDATA%\Programs, and shortcuts go to the
; user's own Start menu and desktop.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
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
