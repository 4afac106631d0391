//! The dashboard's reconnect delays: from 0.5 s, doubling, at most 30 s, with jitter (the
//! same rule as the desktop agent's, `shared::backoff`).

use std::time::Duration;

const FIRST: Duration = Duration::from_millis(500);
const MAX: Duration = Duration::from_secs(30);

/// The wait in milliseconds before the next attempt after `failures` failed ones; `random` is
/// in `[0, 1)`.
pub fn retry_delay_ms(failures: u32, random: f64) -> f64 {
    shared::backoff::delay(FIRST, MAX, failures, random).as_secs_f64() * 1000.0
}
