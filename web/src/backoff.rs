//! Reconnect delays: exponential from 0.5 s, capped at 30 s, with random jitter.

const FIRST_MS: f64 = 500.0;
const MAX_MS: f64 = 30_000.0;

/// The wait before the next attempt after `failures` failed ones; `random` is in `[0, 1)`.
/// The result lies in `[base / 2, base]` where `base` doubles per failure ("equal jitter"),
/// so tabs that lost the hub together do not come back together.
pub fn retry_delay_ms(failures: u32, random: f64) -> f64 {
    let base = (FIRST_MS * 2f64.powi(failures.min(16) as i32)).min(MAX_MS);
    base * (0.5 + 0.5 * random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps_with_jitter() {
        assert_eq!(retry_delay_ms(0, 1.0), 500.0);
        assert_eq!(retry_delay_ms(0, 0.0), 250.0);
        assert_eq!(retry_delay_ms(3, 1.0), 4_000.0);
        assert_eq!(retry_delay_ms(10, 1.0), 30_000.0);
        assert_eq!(retry_delay_ms(u32::MAX, 0.0), 15_000.0);
    }
}
