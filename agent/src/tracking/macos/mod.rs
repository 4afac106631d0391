//! macOS: idle time from IOKit's `HIDIdleTime` (the `user-idle` crate), the frontmost
//! application from `NSWorkspace`, input counts from the window server's event counters.
//! Compiled in the test command (`cargo check --target aarch64-apple-darwin -p agent`), not
//! run: there is no macOS machine here.

pub mod focus;
pub mod idle;
pub mod input;
