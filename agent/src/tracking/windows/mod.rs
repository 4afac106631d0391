//! Windows: idle time from `GetLastInputInfo`, the focused app from the foreground window's
//! process image, input counts from low-level keyboard and mouse hooks. Screenshots are xcap's
//! on every platform.

pub mod focus;
pub mod idle;
pub mod input;
