//! Idle time on Windows: `GetLastInputInfo` gives the tick (ms since boot, 32 bits) of the
//! session's last keyboard or mouse input, `GetTickCount` the tick now; their difference wraps
//! with them every 49.7 days ([`ticks_since`]).

use windows_sys::Win32::System::SystemInformation::GetTickCount;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{GetLastInputInfo, LASTINPUTINFO};

use crate::tracking::idle::{ticks_since, IdleSource};

/// The interactive session's idle time.
#[derive(Default)]
pub struct WindowsIdle {
    warned: bool,
}

impl IdleSource for WindowsIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        let mut info = LASTINPUTINFO {
            cbSize: std::mem::size_of::<LASTINPUTINFO>() as u32,
            dwTime: 0,
        };
        // SAFETY: `info` is a live, writable LASTINPUTINFO whose cbSize is set as the call
        // requires; the call writes only inside it.
        let read = unsafe { GetLastInputInfo(&mut info) } != 0;
        // SAFETY: no arguments, no memory touched.
        let now = unsafe { GetTickCount() };
        if !read {
            if !self.warned {
                tracing::warn!(
                    "idle time unavailable (GetLastInputInfo failed: no interactive session?); reporting the user as active"
                );
                self.warned = true;
            }
            return None;
        }
        self.warned = false;
        Some(ticks_since(now, info.dwTime) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_answers_with_an_idle_time_inside_the_tick_window() {
        // Under Wine in the tests as on a desktop: the last input is a tick of this session,
        // never read as later than now (which ticks_since turns into 0, not 49 days).
        let idle = WindowsIdle::default()
            .idle_seconds()
            .expect("GetLastInputInfo answers");
        assert!(idle < u32::MAX / 2 / 1000, "{idle} s");
    }
}
