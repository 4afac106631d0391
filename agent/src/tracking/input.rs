//! Key presses and mouse events (motion, buttons, wheel) between heartbeats, for the policy's
//! `enable_keyboard_tracking` and `enable_mouse_tracking`. Counts only: which key or where the
//! pointer went is never read. A platform listener (XInput2 raw events on X11, low-level hooks
//! on Windows) runs on a thread of its own, started the first time counting is switched on,
//! and adds to [`Counters`]; without a desktop it logs once and reports nothing.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;

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

    /// A key went down (counted while keys are being counted).
    pub fn key(&self) {
        self.add_keys(1);
    }

    /// The mouse moved, or a button or the wheel was used.
    pub fn mouse(&self) {
        self.add_mouse(1);
    }

    /// `n` key presses at once (a platform that reads totals).
    pub fn add_keys(&self, n: u32) {
        if self.count_keys.load(Ordering::Relaxed) {
            self.keys.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// `n` mouse events at once.
    pub fn add_mouse(&self, n: u32) {
        if self.count_mouse.load(Ordering::Relaxed) {
            self.mouse.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The listener receives events from now on: counts are real from here.
    pub fn now_listening(&self) {
        self.state.store(LISTENING, Ordering::Relaxed);
    }

    fn listening(&self) -> bool {
        self.state.load(Ordering::Relaxed) == LISTENING
    }
}

/// What a platform runs on the counting thread: it adds to the counters until the desktop
/// session ends, and says why when it cannot count.
pub type Listener = Box<dyn FnOnce(Arc<Counters>) -> Result<(), String> + Send>;

/// Input counts from a platform listener, started on first use.
pub struct CountingInput {
    thread_name: &'static str,
    counters: Arc<Counters>,
    /// Taken when the thread starts: one listener per agent.
    listener: Option<Listener>,
}

impl CountingInput {
    pub fn new(thread_name: &'static str, listener: Listener) -> Self {
        CountingInput {
            thread_name,
            counters: Arc::new(Counters::new()),
            listener: Some(listener),
        }
    }

    /// True once the listener receives events (tests wait for it).
    pub fn is_listening(&self) -> bool {
        self.counters.listening()
    }

    /// True once the listener gave up (no desktop to listen to).
    pub fn has_failed(&self) -> bool {
        self.counters.state.load(Ordering::Relaxed) == FAILED
    }

    fn start(&mut self) {
        let Some(listen) = self.listener.take() else {
            return;
        };
        let counters = self.counters.clone();
        let spawned = std::thread::Builder::new()
            .name(self.thread_name.into())
            .spawn(move || {
                if let Err(e) = listen(counters.clone()) {
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

impl InputSource for CountingInput {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A listener that only tells it was started.
    fn starting_listener() -> (Listener, std::sync::mpsc::Receiver<()>) {
        let (ready, started) = std::sync::mpsc::channel();
        let listener: Listener = Box::new(move |_counters: Arc<Counters>| {
            let _ = ready.send(());
            Ok(())
        });
        (listener, started)
    }

    #[test]
    fn counts_only_what_is_switched_on_and_only_while_listening() {
        let (listener, started) = starting_listener();
        let mut input = CountingInput::new("test-input", listener);
        input.set_counting(true, false);
        started
            .recv_timeout(Duration::from_secs(5))
            .expect("the listener thread starts");
        input.counters.key();
        input.counters.mouse();
        assert_eq!(input.take(), InputCounts::default(), "not listening yet");
        input.counters.now_listening();
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
    fn a_listener_that_cannot_count_means_no_counts_and_no_crash() {
        let mut input = CountingInput::new(
            "test-input",
            Box::new(|_: Arc<Counters>| Err("no desktop".to_string())),
        );
        input.set_counting(true, true);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !input.has_failed() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(input.has_failed());
        assert_eq!(input.take(), InputCounts::default());
    }
}
