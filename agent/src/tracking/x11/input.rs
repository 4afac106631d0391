//! Input counts on X11: XInput2 raw events (key presses, button presses — the wheel is
//! buttons 4–7 — and motion) of every master device on the root window, over x11rb's pure-Rust
//! connection of its own.

use std::sync::Arc;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::Event;

use crate::tracking::input::{Counters, CountingInput};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no X display: {0}")]
    Connect(#[from] x11rb::errors::ConnectError),
    #[error("the X connection failed: {0}")]
    Connection(#[from] x11rb::errors::ConnectionError),
    #[error("the X server refused a request: {0}")]
    Reply(#[from] x11rb::errors::ReplyError),
    #[error("the X server has no XInput2 (XInput {0}.{1})")]
    NoXInput2(u16, u16),
}

/// Input counts from the X server named by `display` (or `$DISPLAY`).
pub fn x11_input(display: Option<String>) -> CountingInput {
    CountingInput::new(
        "x11-input",
        Box::new(move |counters: Arc<Counters>| {
            listen(display.as_deref(), &counters).map_err(|e| e.to_string())
        }),
    )
}

/// Selects raw key presses, button presses (the wheel is buttons 4–7) and motion of every
/// master device on the root window, then counts them until the connection ends.
fn listen(display: Option<&str>, counters: &Counters) -> Result<(), InputError> {
    let (conn, screen) = x11rb::connect(display)?;
    let root = conn.setup().roots[screen].root;
    if conn
        .extension_information(xinput::X11_EXTENSION_NAME)?
        .is_none()
    {
        return Err(InputError::NoXInput2(0, 0));
    }
    let version = conn.xinput_xi_query_version(2, 2)?.reply()?;
    if version.major_version < 2 {
        return Err(InputError::NoXInput2(
            version.major_version,
            version.minor_version,
        ));
    }
    let mask = xinput::XIEventMask::RAW_KEY_PRESS
        | xinput::XIEventMask::RAW_BUTTON_PRESS
        | xinput::XIEventMask::RAW_MOTION;
    conn.xinput_xi_select_events(
        root,
        &[xinput::EventMask {
            deviceid: xinput::Device::ALL_MASTER.into(),
            mask: vec![mask],
        }],
    )?
    .check()?;
    conn.flush()?;
    counters.now_listening();
    tracing::info!("counting keyboard and mouse activity (XInput2 raw events)");
    loop {
        match conn.wait_for_event()? {
            Event::XinputRawKeyPress(_) => counters.key(),
            Event::XinputRawButtonPress(_) | Event::XinputRawMotion(_) => counters.mouse(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::input::InputSource;

    #[test]
    fn no_display_means_no_counts_and_no_crash() {
        let mut input = x11_input(Some(":4242".into()));
        input.set_counting(true, true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !input.has_failed() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(input.has_failed());
        assert_eq!(input.take(), Default::default());
    }
}
