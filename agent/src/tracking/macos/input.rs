//! Input counts on macOS: the window server counts every event type since login
//! (`CGEventSourceCounterForEventType`); a thread reads the counters each second and adds
//! the differences. No event is seen, only how many there were.

use std::sync::Arc;
use std::time::Duration;

use objc2_core_graphics::{CGEventSource, CGEventSourceStateID, CGEventType};

use crate::tracking::input::{Counters, CountingInput};

const MOUSE_EVENTS: [CGEventType; 5] = [
    CGEventType::MouseMoved,
    CGEventType::LeftMouseDown,
    CGEventType::RightMouseDown,
    CGEventType::OtherMouseDown,
    CGEventType::ScrollWheel,
];

fn count(kind: CGEventType) -> u32 {
    CGEventSource::counter_for_event_type(CGEventSourceStateID::CombinedSessionState, kind)
}

fn mouse_total() -> u32 {
    MOUSE_EVENTS
        .iter()
        .fold(0u32, |sum, kind| sum.wrapping_add(count(*kind)))
}

pub fn mac_input() -> CountingInput {
    CountingInput::new("mac-input", Box::new(poll))
}

fn poll(counters: Arc<Counters>) -> Result<(), String> {
    let (mut keys, mut mouse) = (count(CGEventType::KeyDown), mouse_total());
    counters.now_listening();
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let (keys_now, mouse_now) = (count(CGEventType::KeyDown), mouse_total());
        // Wrapping: the window server's counters are 32 bits and only grow.
        counters.add_keys(keys_now.wrapping_sub(keys));
        counters.add_mouse(mouse_now.wrapping_sub(mouse));
        (keys, mouse) = (keys_now, mouse_now);
    }
}
