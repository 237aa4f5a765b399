; Inno Setup 6 script for RTCC Desktop (Windows, all users).
; Build the app first:   uv run pyinstaller --noconfirm build.spec
; Then:                  iscc /DAppVersion=0.1.0 resources\installer\rtcc-desktop.iss
; AppVersion must be the [project] version in pyproject.toml (the README shows a one-liner).
; The user's database and settings live in per-user AppData folders, which this
; installer never touches, so upgrading in place keeps them.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z rtcc-desktop.iss
#endif

[Setup]
; Keep AppId fixed forever: it is how an upgrade finds the installed copy.
AppId={{6B0E3E55-2F4C-4E8B-9C61-7C9E2B1D4A10}
AppName=RTCC Desktop
AppVersion={#AppVersion}
AppPublisher=RTCC Desktop project
DefaultDirName={autopf}\RTCC Desktop
DefaultGroupName=RTCC Desktop
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=rtcc-desktop-{#AppVersion}-setup
OutputDir=..\..\dist
SetupIconFile=..\icons\rtcc.ico
UninstallDisplayIcon={app}\rtcc-desktop.exe
Compression=lzma2/ultra64
SolidCompression=yes
CloseApplications=yes
DisableProgramGroupPage=yes

[InstallDelete]
; An upgrade replaces the program folder whole, so no stale library survives.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\rtcc-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\RTCC Desktop"; Filename: "{app}\rtcc-desktop.exe"
Name: "{group}\RTCC Desktop (wall display)"; Filename: "{app}\rtcc-desktop.exe"; Parameters: "--wall"
Name: "{group}\RTCC Desktop demo"; Filename: "{app}\rtcc-desktop.exe"; Parameters: "--demo"
Name: "{commondesktop}\RTCC Desktop wall"; Filename: "{app}\rtcc-desktop.exe"; Parameters: "--wall"; Tasks: wallshortcut

[Tasks]
Name: wallshortcut; Description: "Desktop shortcut for the wall display"; Flags: unchecked

[Run]
Filename: "{app}\rtcc-desktop.exe"; Parameters: "self-test"; Description: "Run the self-test now"; Flags: postinstall nowait skipifsilent unchecked
