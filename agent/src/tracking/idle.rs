//! Seconds since the user last touched keyboard or mouse (X11 screensaver extension).

/// Where idle time comes from; tests and the swarm use a fixed source.
pub trait IdleSource: Send {
    fn idle_seconds(&mut self) -> Option<u32>;
}

/// The desktop's idle time through user-idle; `None` when there is no display.
#[derive(Default)]
pub struct DesktopIdle {
    warned: bool,
}

/// user-idle dereferences the display without checking it: look before asking.
fn display_reachable() -> bool {
    // SAFETY: XOpenDisplay with a null name reads $DISPLAY; a non-null result is closed at once.
    unsafe {
        let display = x11::xlib::XOpenDisplay(std::ptr::null());
        if display.is_null() {
            return false;
        }
        x11::xlib::XCloseDisplay(display);
        true
    }
}

impl IdleSource for DesktopIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        if !display_reachable() {
            if !self.warned {
                tracing::warn!("idle time unavailable: no X display; reporting the user as active");
                self.warned = true;
            }
            return None;
        }
        match user_idle::UserIdle::get_time() {
            Ok(idle) => Some(idle.as_seconds().min(u64::from(u32::MAX)) as u32),
            Err(e) => {
                if !self.warned {
                    tracing::warn!(error = %e, "idle time unavailable (no X display?); reporting the user as active");
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
