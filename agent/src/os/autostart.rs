//! `presence-agent install` / `uninstall`: start the agent (with its window) when the user
//! logs in, for this user only and without administrator rights. Linux and other XDG
//! desktops: `~/.config/autostart/presence-agent.desktop`; Windows: the `PresenceAgent` value
//! of `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`; macOS: a LaunchAgent property list.

use std::path::Path;

/// Where the start-at-login entry lives, for messages ("Installed: …").
pub fn location() -> std::io::Result<String> {
    imp::location()
}

/// Starts `exe run` at login from now on (replacing an earlier entry). `home` is the agent's
/// folder when it is not the default (`--home`, `PRESENCE_AGENT_HOME`): the started agent is
/// given it as `--home`, so it finds the same login.
pub fn install(exe: &Path, home: Option<&Path>) -> std::io::Result<()> {
    imp::install(exe, home)
}

/// Removes the entry; no entry is not an error.
pub fn uninstall() -> std::io::Result<()> {
    imp::uninstall()
}

/// Whether an entry is installed now.
pub fn installed() -> std::io::Result<bool> {
    imp::installed()
}

/// A path quoted for a command line (Windows `Run` values, `Exec=` of desktop entries): in
/// double quotes, inner quotes and backslashes before them escaped.
pub fn quoted(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The command line that starts the agent at login.
pub fn command_line(exe: &Path, home: Option<&Path>) -> String {
    let mut command = format!("{} run", quoted(exe));
    if let Some(home) = home {
        command.push_str(" --home ");
        command.push_str(&quoted(home));
    }
    command
}

/// The desktop entry that starts the agent (XDG Autostart specification).
pub fn desktop_entry(exe: &Path, home: Option<&Path>) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Presence Agent\nComment=Presence Hub desktop agent\nExec={}\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        command_line(exe, home)
    )
}

/// Unix desktops: the entry is a file (an XDG autostart entry; a LaunchAgent on macOS).
#[cfg(unix)]
mod imp {
    use super::*;
    use std::path::PathBuf;

    fn dirs() -> std::io::Result<directories::BaseDirs> {
        directories::BaseDirs::new().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no home folder for this user")
        })
    }

    #[cfg(not(target_os = "macos"))]
    fn entry() -> std::io::Result<PathBuf> {
        Ok(dirs()?
            .config_dir()
            .join("autostart")
            .join("presence-agent.desktop"))
    }

    #[cfg(not(target_os = "macos"))]
    fn contents(exe: &Path, home: Option<&Path>) -> String {
        desktop_entry(exe, home)
    }

    #[cfg(target_os = "macos")]
    const LABEL: &str = "dev.presence-hub.agent";

    #[cfg(target_os = "macos")]
    fn entry() -> std::io::Result<PathBuf> {
        Ok(dirs()?
            .home_dir()
            .join("Library/LaunchAgents")
            .join(format!("{LABEL}.plist")))
    }

    #[cfg(target_os = "macos")]
    fn xml(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    /// The LaunchAgent property list that runs the agent at login.
    #[cfg(target_os = "macos")]
    fn contents(exe: &Path, home: Option<&Path>) -> String {
        let home = home
            .map(|h| {
                format!(
                    "<string>--home</string><string>{}</string>",
                    xml(&h.to_string_lossy())
                )
            })
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n  <key>Label</key><string>{LABEL}</string>\n  <key>ProgramArguments</key>\n  <array><string>{}</string><string>run</string>{home}</array>\n  <key>RunAtLoad</key><true/>\n</dict>\n</plist>\n",
            xml(&exe.to_string_lossy())
        )
    }

    pub fn location() -> std::io::Result<String> {
        Ok(entry()?.display().to_string())
    }

    pub fn install(exe: &Path, home: Option<&Path>) -> std::io::Result<()> {
        let path = entry()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, contents(exe, home))
    }

    pub fn uninstall() -> std::io::Result<()> {
        match std::fs::remove_file(entry()?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn installed() -> std::io::Result<bool> {
        Ok(entry()?.is_file())
    }
}

#[cfg(windows)]
mod imp {
    use super::*;
    use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS};
    use windows_sys::Win32::System::Registry::{
        RegDeleteKeyValueW, RegGetValueW, RegSetKeyValueW, HKEY_CURRENT_USER, REG_SZ, RRF_RT_REG_SZ,
    };

    const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
    const VALUE: &str = "PresenceAgent";

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    fn check(status: u32) -> std::io::Result<()> {
        if status == ERROR_SUCCESS {
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(status as i32))
        }
    }

    pub fn location() -> std::io::Result<String> {
        Ok(format!(r"HKEY_CURRENT_USER\{RUN_KEY}\{VALUE}"))
    }

    pub fn install(exe: &Path, home: Option<&Path>) -> std::io::Result<()> {
        let data = wide(&command_line(exe, home));
        let (key, value) = (wide(RUN_KEY), wide(VALUE));
        // SAFETY: every pointer is to a live NUL-terminated UTF-16 buffer; the data length
        // given is that buffer's size in bytes, NUL included, as REG_SZ requires.
        let status = unsafe {
            RegSetKeyValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                value.as_ptr(),
                REG_SZ,
                data.as_ptr().cast(),
                (data.len() * 2) as u32,
            )
        };
        check(status)
    }

    pub fn uninstall() -> std::io::Result<()> {
        let (key, value) = (wide(RUN_KEY), wide(VALUE));
        // SAFETY: both are live NUL-terminated UTF-16 strings.
        let status = unsafe { RegDeleteKeyValueW(HKEY_CURRENT_USER, key.as_ptr(), value.as_ptr()) };
        if status == ERROR_FILE_NOT_FOUND {
            return Ok(());
        }
        check(status)
    }

    pub fn installed() -> std::io::Result<bool> {
        let (key, value) = (wide(RUN_KEY), wide(VALUE));
        // SAFETY: both names are live NUL-terminated UTF-16 strings; null data and size ask
        // only whether the value exists.
        let status = unsafe {
            RegGetValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                value.as_ptr(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        match status {
            ERROR_SUCCESS => Ok(true),
            ERROR_FILE_NOT_FOUND => Ok(false),
            other => Err(std::io::Error::from_raw_os_error(other as i32)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_a_command_line() {
        assert_eq!(
            quoted(Path::new(
                r"C:\Users\Ann Lee\AppData\Local\Presence Agent\presence-agent.exe"
            )),
            r#""C:\Users\Ann Lee\AppData\Local\Presence Agent\presence-agent.exe""#
        );
        assert_eq!(quoted(Path::new("/opt/a\"b")), r#""/opt/a\"b""#);
    }

    #[test]
    fn the_desktop_entry_runs_the_agent_with_its_folder() {
        let entry = desktop_entry(Path::new("/usr/bin/presence-agent"), None);
        assert!(entry.starts_with("[Desktop Entry]\n"));
        assert!(entry.contains("\nExec=\"/usr/bin/presence-agent\" run\n"));
        let entry = desktop_entry(
            Path::new("/opt/pa/presence-agent"),
            Some(Path::new("/home/ann/pa")),
        );
        assert!(entry.contains("\nExec=\"/opt/pa/presence-agent\" run --home \"/home/ann/pa\"\n"));
    }
}
