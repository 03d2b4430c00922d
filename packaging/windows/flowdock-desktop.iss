; Inno Setup script for Flowdock Desktop (per-user install, no administrator rights needed).
; Build with packaging\windows\build_windows.py, which runs PyInstaller and then:
;   iscc /DAppVersion=<flowdock_desktop.__version__> /DRepoRoot=<repository> flowdock-desktop.iss
; The version is never written here: flowdock_desktop/__init__.py is its one source.

#ifndef AppVersion
  #error Pass /DAppVersion=... (packaging\windows\build_windows.py does this)
#endif
#ifndef RepoRoot
  #define RepoRoot "..\.."
#endif
#define AppName "Flowdock Desktop"
#define AppExe "flowdock-desktop.exe"
#define AppScheme "flowdock-desktop"

[Setup]
AppId={{6F1C2B9E-5A8D-4E27-9C31-2E7F0D4B8A15}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Flowdock Desktop developers
AppPublisherURL=https://github.com/flowdock-desktop/flowdock-desktop
AppSupportURL=https://github.com/flowdock-desktop/flowdock-desktop/issues
VersionInfoVersion={#AppVersion}
LicenseFile={#RepoRoot}\LICENSE
DefaultDirName={autopf}\Flowdock Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#RepoRoot}\dist
OutputBaseFilename=flowdock-desktop-{#AppVersion}-setup
SetupIconFile={#RepoRoot}\build\icons\flowdock-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The PyInstaller one-folder build: the windowed program, its console twin and _internal\.
Source: "{#RepoRoot}\dist\flowdock-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#RepoRoot}\LICENSE"; DestDir: "{app}"; DestName: "LICENSE.txt"; Flags: ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; flowdock-desktop:// links (setup and configure) open the app, per user, removed on uninstall.
Root: HKCU; Subkey: "Software\Classes\flowdock-desktop"; ValueType: string; ValueName: ""; ValueData: "URL:Flowdock Desktop link"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\flowdock-desktop"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\flowdock-desktop\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\flowdock-desktop\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
