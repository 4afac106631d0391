//! Seconds since the user last touched keyboard or mouse. Each platform answers behind
//! [`IdleSource`]: the X server's screensaver extension (`x11::idle`), `GetLastInputInfo` on
//! Windows (`windows::idle`), IOKit's `HIDIdleTime` on macOS (`macos::idle`).

/// Where idle time comes from; tests and the swarm use a fixed source.
pub trait IdleSource: Send {
    fn idle_seconds(&mut self) -> Option<u32>;
}

/// Always the same idle time.
pub struct FixedIdle(pub u32);

impl IdleSource for FixedIdle {
    fn idle_seconds(&mut self) -> Option<u32> {
        Some(self.0)
    }
}

/// Milliseconds from `then` to `now` on a 32-bit millisecond tick counter that wraps to zero
/// every 2^32 ms (49.7 days), as Windows' `GetTickCount` and `LASTINPUTINFO.dwTime` do.
/// Wrapping subtraction stays right across the wrap. A `then` that reads as later than `now`
/// (input arrived between the two reads) is no idle time, not 49 days of it; so the longest
/// idle time told apart is half the period, 24.8 days.
pub fn ticks_since(now: u32, then: u32) -> u32 {
    let elapsed = now.wrapping_sub(then);
    if elapsed > u32::MAX / 2 {
        0
    } else {
        elapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_arithmetic_survives_the_wrap() {
        assert_eq!(ticks_since(10_000, 4_000), 6_000);
        assert_eq!(ticks_since(7, 7), 0);
        // Input 1 s before the counter wrapped, read 2 s after it.
        assert_eq!(ticks_since(2_000, u32::MAX - 999), 3_000);
        // Input at the very last tick, read at the first.
        assert_eq!(ticks_since(0, u32::MAX), 1);
        // Input newer than the clock read before it: none idle, not ~49.7 days.
        assert_eq!(ticks_since(5_000, 5_001), 0);
        assert_eq!(ticks_since(u32::MAX, 0), 0);
        // The longest idle time told apart: 24.8 days.
        assert_eq!(ticks_since(u32::MAX / 2, 0), u32::MAX / 2);
    }
}
