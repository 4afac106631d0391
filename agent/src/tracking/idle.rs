//! Seconds since the user last touched keyboard or mouse (X11 screensaver extension).
//!
//! The query is the one the user-idle crate makes (XScreenSaverQueryInfo on the root window),
//! done here directly: user-idle 0.6 dereferences the display without checking it and
//! segfaulted the agent under Xvfb; here a missing display is an answer, not a crash, and one
//! connection is kept instead of opening one per heartbeat.

/// Where idle time comes from; tests and the swarm use a fixed source.
pub trait IdleSource: Send {
    fn idle_seconds(&mut self) -> Option<u32>;
}

/// The desktop's idle time from the X server; `None` when there is no display.
#[derive(Default)]
pub struct DesktopIdle {
    connection: Option<XConnection>,
    warned: bool,
}

/// An open Xlib display, closed on drop.
struct XConnection(std::ptr::NonNull<x11::xlib::Display>);

// SAFETY: the display is only used through `&mut DesktopIdle`, by one thread at a time.
unsafe impl Send for XConnection {}

impl XConnection {
    /// Opens `$DISPLAY`; `None` when it cannot be reached.
    fn open() -> Option<XConnection> {
        // SAFETY: XOpenDisplay with a null name reads $DISPLAY and returns null on failure.
        let display = unsafe { x11::xlib::XOpenDisplay(std::ptr::null()) };
        std::ptr::NonNull::new(display).map(XConnection)
    }

    /// Milliseconds since the last input; `None` if the server lacks the extension.
    fn idle_ms(&self) -> Option<u64> {
        let display = self.0.as_ptr();
        // SAFETY: `display` is open; the info block is allocated by Xss, checked for null,
        // read only after a successful query and freed once.
        unsafe {
            let info = x11::xss::XScreenSaverAllocInfo();
            if info.is_null() {
                return None;
            }
            let root = x11::xlib::XDefaultRootWindow(display);
            let ok = x11::xss::XScreenSaverQueryInfo(display, root, info) != 0;
            let idle = (*info).idle;
            x11::xlib::XFree(info.cast());
            ok.then_some(idle)
        }
    }
}

impl Drop for XConnection {
    fn drop(&mut self) {
        // SAFETY: opened by XOpenDisplay and closed only here.
        unsafe {
            x11::xlib::XCloseDisplay(self.0.as_ptr());
        }
    }
}

impl IdleSource for DesktopIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        if self.connection.is_none() {
            self.connection = XConnection::open();
        }
        let idle = self.connection.as_ref().and_then(XConnection::idle_ms);
        match idle {
            Some(ms) => {
                self.warned = false;
                Some((ms / 1000).min(u64::from(u32::MAX)) as u32)
            }
            None => {
                // Reconnect next time: the display may come (back) later.
                self.connection = None;
                if !self.warned {
                    tracing::warn!(
                        "idle time unavailable (no X display or no screensaver extension); reporting the user as active"
                    );
                    self.warned = true;
                }
                None
            }
        }
    }
}

/// Always the same idle time.
pub struct FixedIdle(pub u32);

impl IdleSource for FixedIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        Some(self.0)
    }
}
