; presence-agent-setup.exe: installs the Windows agent for the current user only, without
; administrator rights, into %LOCALAPPDATA%\Programs\Presence Agent; registers its uninstaller
; under HKCU (Settings → Apps lists it) and starts the agent at login (the same HKCU Run value
; `presence-agent install` writes). `/S` installs silently; the uninstaller (`/S` too) removes
; every file and registry value this installer put down. The agent's own data (the login in
; %APPDATA%, the queue in %LOCALAPPDATA%\presence-agent) is the user's and stays.
;
; makensis -DAGENT_EXE=path\presence-agent.exe -DOUTFILE=path\presence-agent-setup.exe -DVERSION=0.1.0 installer.nsi

; A 64-bit installer for a 64-bit program (and one Wine runs without its 32-bit half).
Target amd64-unicode
SetCompressor /SOLID lzma

!ifndef AGENT_EXE
  !error "give -DAGENT_EXE=<the built presence-agent.exe>"
!endif
!ifndef OUTFILE
  !define OUTFILE "presence-agent-setup.exe"
!endif
!ifndef VERSION
  !define VERSION "0.1.0"
!endif

!define PRODUCT "Presence Agent"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\PresenceAgent"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
ShowInstDetails show
ShowUninstDetails show

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Install"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "/oname=presence-agent.exe" "${AGENT_EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${PRODUCT}"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}\${PRODUCT}.lnk" "$INSTDIR\presence-agent.exe" "run"

  WriteRegStr HKCU "${RUN_KEY}" "PresenceAgent" '"$INSTDIR\presence-agent.exe" run'

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Presence Hub"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\presence-agent.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  ; A running agent holds its .exe open: stop it first.
  nsExec::Exec 'taskkill /F /IM presence-agent.exe'
  Sleep 500

  DeleteRegValue HKCU "${RUN_KEY}" "PresenceAgent"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"

  Delete "$SMPROGRAMS\${PRODUCT}\${PRODUCT}.lnk"
  RMDir "$SMPROGRAMS\${PRODUCT}"
  Delete "$INSTDIR\presence-agent.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
