//! Reconnect delays of the hub's clients (the desktop agent's socket, the dashboard tabs'):
//! doubling from `first`, capped at `max`, then a uniform 50–100 % of that step ("equal
//! jitter"), so that clients that lost the hub together do not all come back in the same
//! millisecond. The caller brings the random number, so this compiles for wasm too.

use std::time::Duration;

/// The wait before the next attempt after `failures` failed ones; `random` is in `[0, 1]`.
pub fn delay(first: Duration, max: Duration, failures: u32, random: f64) -> Duration {
    let step = first.saturating_mul(1u32 << failures.min(16)).min(max);
    step.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(30);

    #[test]
    fn doubles_and_caps_with_jitter() {
        let ms = |failures, random| delay(FIRST, MAX, failures, random).as_millis();
        assert_eq!(ms(0, 1.0), 500);
        assert_eq!(ms(0, 0.0), 250);
        assert_eq!(ms(3, 1.0), 4_000);
        assert_eq!(ms(3, 0.5), 3_000);
        assert_eq!(ms(10, 1.0), 30_000);
        assert_eq!(ms(u32::MAX, 0.0), 15_000);
        assert_eq!(ms(2, 7.0), 2_000, "a random number out of range is clamped");
    }
}
