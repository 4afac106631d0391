//! Idle time on macOS: IOKit's `HIDIdleTime` of the `IOHIDSystem` service, as `user-idle`
//! reads it.

use crate::tracking::idle::IdleSource;

#[derive(Default)]
pub struct MacIdle {
    warned: bool,
}

impl IdleSource for MacIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        match user_idle::UserIdle::get_time() {
            Ok(idle) => {
                self.warned = false;
                Some(u32::try_from(idle.as_seconds()).unwrap_or(u32::MAX))
            }
            Err(e) => {
                if !self.warned {
                    tracing::warn!(error = %e.cause, "idle time unavailable; reporting the user as active");
                    self.warned = true;
                }
                None
            }
        }
    }
}
