//! Linux and other X11 desktops: idle time from MIT-SCREEN-SAVER, the focused app from the
//! window manager's `_NET_ACTIVE_WINDOW`, input counts from XInput2 raw events, screenshots with
//! `GetImage`, all over
//! x11rb's pure-Rust connection (no Xlib; no display is an answer, not a crash).

pub mod focus;
pub mod idle;
pub mod input;
pub mod screen;
