//! Key presses and mouse events (motion, buttons, wheel) between heartbeats, for the policy's
//! `enable_keyboard_tracking` and `enable_mouse_tracking`. Counts only: which key or where the
//! pointer went is never read. On X11 from XInput2 raw events on the root window, on a thread
//! of its own with its own display connection, started the first time counting is switched
//! on. Without a display or without XInput2 it logs once and reports nothing.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::Event;

/// Counts since the previous [`InputSource::take`]; `None` for a kind not being counted (its
/// switch is off, no session runs, or the platform cannot count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputCounts {
    pub keys: Option<u32>,
    pub mouse: Option<u32>,
}

/// Where input counts come from; tests and the swarm use [`NoInput`].
pub trait InputSource: Send {
    /// Which kinds to count from now on. A kind switched on starts from zero.
    fn set_counting(&mut self, keys: bool, mouse: bool);
    /// The counts since the previous call, and starts again from zero.
    fn take(&mut self) -> InputCounts;
}

/// Counts nothing.
pub struct NoInput;

impl InputSource for NoInput {
    fn set_counting(&mut self, _keys: bool, _mouse: bool) {}
    fn take(&mut self) -> InputCounts {
        InputCounts::default()
    }
}

const STARTING: u8 = 0;
const LISTENING: u8 = 1;
const FAILED: u8 = 2;

/// Shared between the listener thread (which adds) and the engine (which takes).
#[derive(Debug)]
pub struct Counters {
    keys: AtomicU32,
    mouse: AtomicU32,
    count_keys: AtomicBool,
    count_mouse: AtomicBool,
    state: AtomicU8,
}

impl Counters {
    fn new() -> Self {
        Counters {
            keys: AtomicU32::new(0),
            mouse: AtomicU32::new(0),
            count_keys: AtomicBool::new(false),
            count_mouse: AtomicBool::new(false),
            state: AtomicU8::new(STARTING),
        }
    }

    fn key(&self) {
        if self.count_keys.load(Ordering::Relaxed) {
            self.keys.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn mouse(&self) {
        if self.count_mouse.load(Ordering::Relaxed) {
            self.mouse.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn listening(&self) -> bool {
        self.state.load(Ordering::Relaxed) == LISTENING
    }
}

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
pub struct X11Input {
    display: Option<String>,
    counters: Arc<Counters>,
    started: bool,
}

impl X11Input {
    pub fn new(display: Option<String>) -> Self {
        X11Input {
            display,
            counters: Arc::new(Counters::new()),
            started: false,
        }
    }

    /// True once the listener has selected the raw events (tests wait for it).
    pub fn is_listening(&self) -> bool {
        self.counters.listening()
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let counters = self.counters.clone();
        let display = self.display.clone();
        let spawned = std::thread::Builder::new()
            .name("x11-input".into())
            .spawn(move || {
                if let Err(e) = listen(display.as_deref(), &counters) {
                    counters.state.store(FAILED, Ordering::Relaxed);
                    tracing::warn!(error = %e, "keyboard and mouse activity cannot be counted; heartbeats carry no counts");
                }
            });
        if let Err(e) = spawned {
            self.counters.state.store(FAILED, Ordering::Relaxed);
            tracing::warn!(error = %e, "cannot start the input counter");
        }
    }
}

impl InputSource for X11Input {
    fn set_counting(&mut self, keys: bool, mouse: bool) {
        let c = &self.counters;
        if keys && !c.count_keys.load(Ordering::Relaxed) {
            c.keys.store(0, Ordering::Relaxed);
        }
        if mouse && !c.count_mouse.load(Ordering::Relaxed) {
            c.mouse.store(0, Ordering::Relaxed);
        }
        c.count_keys.store(keys, Ordering::Relaxed);
        c.count_mouse.store(mouse, Ordering::Relaxed);
        if keys || mouse {
            self.start();
        }
    }

    fn take(&mut self) -> InputCounts {
        let c = &self.counters;
        let keys = c.keys.swap(0, Ordering::Relaxed);
        let mouse = c.mouse.swap(0, Ordering::Relaxed);
        if !c.listening() {
            return InputCounts::default();
        }
        InputCounts {
            keys: c.count_keys.load(Ordering::Relaxed).then_some(keys),
            mouse: c.count_mouse.load(Ordering::Relaxed).then_some(mouse),
        }
    }
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
    counters.state.store(LISTENING, Ordering::Relaxed);
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

    #[test]
    fn counts_only_what_is_switched_on_and_only_while_listening() {
        let mut input = X11Input::new(None);
        input.started = true; // no thread in a unit test
        input.set_counting(true, false);
        input.counters.key();
        input.counters.mouse();
        assert_eq!(input.take(), InputCounts::default(), "not listening yet");
        input.counters.state.store(LISTENING, Ordering::Relaxed);
        input.counters.key();
        input.counters.key();
        input.counters.mouse();
        assert_eq!(
            input.take(),
            InputCounts {
                keys: Some(2),
                mouse: None
            }
        );
        assert_eq!(input.take().keys, Some(0), "taken counts start again");
        input.set_counting(false, false);
        input.counters.key();
        assert_eq!(input.take(), InputCounts::default());
    }

    #[test]
    fn no_display_means_no_counts_and_no_crash() {
        let mut input = X11Input::new(Some(":4242".into()));
        input.set_counting(true, true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while input.counters.state.load(Ordering::Relaxed) == STARTING
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(input.counters.state.load(Ordering::Relaxed), FAILED);
        assert_eq!(input.take(), InputCounts::default());
    }
}
