//! The focused window on X11: the root window's `_NET_ACTIVE_WINDOW` (set by the window
//! manager), its `WM_CLASS` class as the app, and its `_NET_WM_NAME` (UTF-8) or else `WM_NAME`
//! as the title. Without a display it logs once and reports nothing; a lost connection is
//! opened again next time.

use shared::protocol::ActiveApp;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};
use x11rb::rust_connection::RustConnection;

use crate::tracking::focus::{active_app, FocusSource};

struct Atoms {
    net_active_window: u32,
    net_wm_name: u32,
    utf8_string: u32,
}

struct Link {
    conn: RustConnection,
    root: Window,
    atoms: Atoms,
}

type XResult<T> = Result<T, Box<dyn std::error::Error>>;

impl Link {
    fn open(display: Option<&str>) -> XResult<Link> {
        let (conn, screen) = x11rb::connect(display)?;
        let root = conn.setup().roots[screen].root;
        let atom =
            |name: &[u8]| -> XResult<u32> { Ok(conn.intern_atom(false, name)?.reply()?.atom) };
        let atoms = Atoms {
            net_active_window: atom(b"_NET_ACTIVE_WINDOW")?,
            net_wm_name: atom(b"_NET_WM_NAME")?,
            utf8_string: atom(b"UTF8_STRING")?,
        };
        Ok(Link { conn, root, atoms })
    }

    fn bytes(&self, window: Window, property: u32, kind: u32) -> XResult<Vec<u8>> {
        let reply = self
            .conn
            .get_property(false, window, property, kind, 0, 1024)?
            .reply()?;
        Ok(reply.value)
    }

    fn active_window(&self) -> XResult<Option<Window>> {
        let reply = self
            .conn
            .get_property(
                false,
                self.root,
                self.atoms.net_active_window,
                // WINDOW as window managers set it; any 32-bit type is read the same.
                AtomEnum::ANY,
                0,
                1,
            )?
            .reply()?;
        Ok(reply
            .value32()
            .and_then(|mut v| v.next())
            .filter(|w| *w != x11rb::NONE))
    }

    fn read(&self) -> XResult<Option<ActiveApp>> {
        let Some(window) = self.active_window()? else {
            return Ok(None);
        };
        let class = self.bytes(window, AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into())?;
        let utf8 = self.bytes(window, self.atoms.net_wm_name, self.atoms.utf8_string)?;
        let title = if utf8.is_empty() {
            latin1(&self.bytes(window, AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())?)
        } else {
            String::from_utf8_lossy(&utf8).into_owned()
        };
        Ok(app_of(&class, &title))
    }
}

/// `WM_CLASS` is "instance\0class\0": the class names the application ("firefox", "Code").
pub fn class_of(wm_class: &[u8]) -> Option<String> {
    let mut parts = wm_class
        .split(|b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).trim().to_string());
    let instance = parts.next().unwrap_or_default();
    let class = parts.next().unwrap_or_default();
    [class, instance].into_iter().find(|s| !s.is_empty())
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// The app (the `WM_CLASS` class) and title as sent.
pub fn app_of(wm_class: &[u8], title: &str) -> Option<ActiveApp> {
    active_app(class_of(wm_class).as_deref(), title)
}

/// The focused window of the X server named by `display` (or `$DISPLAY`).
pub struct X11Focus {
    display: Option<String>,
    link: Option<Link>,
    warned: bool,
}

impl X11Focus {
    pub fn new(display: Option<String>) -> Self {
        X11Focus {
            display,
            link: None,
            warned: false,
        }
    }
}

impl FocusSource for X11Focus {
    fn active_app(&mut self) -> Option<ActiveApp> {
        if self.link.is_none() {
            match Link::open(self.display.as_deref()) {
                Ok(link) => self.link = Some(link),
                Err(e) => {
                    if !self.warned {
                        tracing::warn!(error = %e, "the focused app cannot be read (no X display?); heartbeats carry none");
                        self.warned = true;
                    }
                    return None;
                }
            }
        }
        let link = self.link.as_ref()?;
        match link.read() {
            Ok(app) => app,
            Err(e) => {
                // A window that vanished between the two reads is not a broken connection,
                // but reconnecting costs little and covers both.
                tracing::debug!(error = %e, "reading the focused window failed");
                self.link = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_names_the_app() {
        assert_eq!(
            class_of(b"navigator\0firefox\0").as_deref(),
            Some("firefox")
        );
        assert_eq!(class_of(b"code\0").as_deref(), Some("code"));
        assert_eq!(class_of(b""), None);
        let app = app_of(b"xterm\0XTerm\0", "  ~/src\n ").unwrap();
        assert_eq!(
            app,
            ActiveApp {
                app: "XTerm".into(),
                title: "~/src".into()
            }
        );
        assert_eq!(app_of(b"", "").map(|a| a.app), None);
        assert_eq!(
            app_of(b"", "Untitled").map(|a| a.app).as_deref(),
            Some("unknown")
        );
    }

    #[test]
    fn no_display_means_no_app() {
        let mut focus = X11Focus::new(Some(":4243".into()));
        assert_eq!(focus.active_app(), None);
        assert_eq!(focus.active_app(), None);
    }
}
