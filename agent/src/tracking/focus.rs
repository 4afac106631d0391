//! The focused window's application and title, for the policy's `website_tracking_enabled`.
//! Each platform answers behind [`FocusSource`]: the window manager's `_NET_ACTIVE_WINDOW` on
//! X11 (`x11::focus`), the foreground window's process image on Windows (`windows::focus`),
//! the frontmost application on macOS (`macos::focus`).

use shared::protocol::ActiveApp;

/// Longest app name and title sent (characters); the hub keeps no more either.
pub const MAX_APP_CHARS: usize = 100;
pub const MAX_TITLE_CHARS: usize = 300;

/// Where the focused app comes from; tests and the swarm use [`NoFocus`].
pub trait FocusSource: Send {
    fn active_app(&mut self) -> Option<ActiveApp>;
}

/// Knows no focused window.
pub struct NoFocus;

impl FocusSource for NoFocus {
    fn active_app(&mut self) -> Option<ActiveApp> {
        None
    }
}

fn bounded(s: &str, max: usize) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// The app and title as sent: trimmed, without control characters, bounded. A window without
/// an app name but with a title is "unknown"; one with neither is nothing.
pub fn active_app(app: Option<&str>, title: &str) -> Option<ActiveApp> {
    let title = bounded(title, MAX_TITLE_CHARS);
    let app = match app
        .map(|a| bounded(a, MAX_APP_CHARS))
        .filter(|a| !a.is_empty())
    {
        Some(app) => app,
        None if title.is_empty() => return None,
        None => "unknown".to_string(),
    };
    Some(ActiveApp { app, title })
}

/// The program's name from its image path, as Windows reports it
/// (`C:\Program Files\Mozilla Firefox\firefox.exe` → `firefox`).
pub fn image_name(path: &str) -> Option<&str> {
    let file = path.rsplit(['\\', '/']).next()?;
    let stem = match file.rfind('.') {
        Some(dot) if dot > 0 => &file[..dot],
        _ => file,
    };
    (!stem.is_empty()).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_and_title_are_trimmed_and_bounded() {
        assert_eq!(
            active_app(Some("XTerm"), "  ~/src\n "),
            Some(ActiveApp {
                app: "XTerm".into(),
                title: "~/src".into()
            })
        );
        assert_eq!(active_app(None, ""), None);
        assert_eq!(active_app(Some("  "), "").map(|a| a.app), None);
        assert_eq!(
            active_app(None, "Untitled").map(|a| a.app).as_deref(),
            Some("unknown")
        );
        let long = "x".repeat(1000);
        assert_eq!(
            active_app(Some("b"), &long).map(|a| a.title.len()),
            Some(MAX_TITLE_CHARS)
        );
        assert_eq!(
            active_app(Some(&long), "t").map(|a| a.app.len()),
            Some(MAX_APP_CHARS)
        );
    }

    #[test]
    fn a_windows_image_path_names_the_program() {
        assert_eq!(
            image_name(r"C:\Program Files\Mozilla Firefox\firefox.exe"),
            Some("firefox")
        );
        assert_eq!(image_name(r"C:\Tools\my.tool.EXE"), Some("my.tool"));
        assert_eq!(image_name("notepad"), Some("notepad"));
        assert_eq!(image_name(r"C:\Windows\"), None);
        assert_eq!(image_name(r"C:\.hidden"), Some(".hidden"));
    }
}
