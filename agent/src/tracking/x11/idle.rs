//! Seconds since the user last touched keyboard or mouse: the X server's MIT-SCREEN-SAVER
//! extension (`QueryInfo` on the root window, as `xprintidle` asks), over x11rb's pure-Rust
//! connection. A missing display or extension is an answer (`None`), never a crash; one
//! connection is kept, and opened again after it fails.

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::screensaver::{self, ConnectionExt as _};
use x11rb::protocol::xproto::Window;
use x11rb::rust_connection::RustConnection;

use crate::tracking::idle::IdleSource;

/// The desktop's idle time from the X server named by `$DISPLAY` (or `display`).
#[derive(Default)]
pub struct X11Idle {
    display: Option<String>,
    link: Option<Link>,
    warned: bool,
}

struct Link {
    conn: RustConnection,
    root: Window,
}

type XResult<T> = Result<T, Box<dyn std::error::Error>>;

impl Link {
    fn open(display: Option<&str>) -> XResult<Link> {
        let (conn, screen) = x11rb::connect(display)?;
        if conn
            .extension_information(screensaver::X11_EXTENSION_NAME)?
            .is_none()
        {
            return Err("the X server has no MIT-SCREEN-SAVER extension".into());
        }
        let root = conn.setup().roots[screen].root;
        Ok(Link { conn, root })
    }

    fn idle_ms(&self) -> XResult<u32> {
        Ok(self
            .conn
            .screensaver_query_info(self.root)?
            .reply()?
            .ms_since_user_input)
    }
}

impl X11Idle {
    /// Idle time of `display` (`:99`), or of `$DISPLAY` when `None`.
    pub fn new(display: Option<&str>) -> Self {
        X11Idle {
            display: display.map(str::to_string),
            ..X11Idle::default()
        }
    }

    fn query(&mut self) -> XResult<u32> {
        let link = match &self.link {
            Some(link) => link,
            None => self.link.insert(Link::open(self.display.as_deref())?),
        };
        let idle = link.idle_ms();
        if idle.is_err() {
            // Connect again next time: the X server may have restarted.
            self.link = None;
        }
        idle
    }
}

impl IdleSource for X11Idle {
    fn idle_seconds(&mut self) -> Option<u32> {
        match self.query() {
            Ok(ms) => {
                self.warned = false;
                Some(ms / 1000)
            }
            Err(e) => {
                if !self.warned {
                    tracing::warn!(
                        error = %e,
                        "idle time unavailable (no X display or no screensaver extension); reporting the user as active"
                    );
                    self.warned = true;
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_display_is_an_answer_not_a_crash() {
        // A display number nothing listens on.
        let mut idle = X11Idle::new(Some(":4719"));
        assert_eq!(idle.idle_seconds(), None);
        assert!(idle.warned);
        assert_eq!(idle.idle_seconds(), None);
    }
}
