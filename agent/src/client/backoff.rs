//! Reconnect delays: exponential with jitter, so that thousands of agents that lost the hub at
//! once do not all come back in the same millisecond.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }

    /// The next delay: `base * 2^attempt`, capped at `max`, then a uniform 50–100 % of it
    /// (`shared::backoff`, the rule the dashboard tabs follow too).
    pub fn next_delay(&mut self) -> Duration {
        let delay = shared::backoff::delay(self.base, self.max, self.attempt, rand::random());
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    pub fn set_max(&mut self, max: Duration) {
        self.max = max.max(self.base);
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_and_is_capped() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(250) && delays[0] <= Duration::from_millis(500));
        assert!(
            delays[3] >= Duration::from_millis(2000) && delays[3] <= Duration::from_millis(4000)
        );
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(10)));
        assert!(
            delays[9] >= Duration::from_secs(5),
            "capped at the maximum, minus jitter"
        );
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(500));
    }

    #[test]
    fn jitter_spreads_agents_apart() {
        let delays: std::collections::HashSet<u128> = (0..20)
            .map(|_| {
                Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
                    .next_delay()
                    .as_micros()
            })
            .collect();
        assert!(delays.len() > 15);
    }
}
