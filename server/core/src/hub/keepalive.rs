//! Keep-alive for every socket from one task: pings spread over the ping period, and silent
//! clients closed. One timer per connection would cost each socket a timer entry (and its
//! task a larger future) to do what one pass over the connection maps does each second.

use std::time::Duration;

use super::close::CloseCause;
use super::peer::clock_ms;
use super::Hub;

impl Hub {
    /// One keep-alive pass, run every `pass_every` (`tick` counts the passes). Each socket is
    /// pinged once per `ping_every`, on the pass its connection number falls on: with 19,000
    /// sockets, a 20 s period and a pass every 50 ms that is ~48 pings a pass. One pass a
    /// second sent ~950 at once, and the burst of their writes and pongs held a request that
    /// came in meanwhile for 10-20 ms (the force-end's tail). Any socket silent for longer than
    /// `idle_timeout` is closed with 1001; silence is looked at once a second (on every pass
    /// when passes are a second or more apart) and on each socket's ping pass.
    ///
    /// Measured (issue 28, `bench --peer`, 15,000 agent sockets, `perf`): looking at every
    /// socket's silence on every 50 ms pass read each connection's shared state 300,000 times a
    /// second — 12 % of the hub's CPU samples under heartbeats (`silent_ms` alone 7.8 %, cache
    /// misses on 15,000 allocations). The pass now reads only the key (kept in the map itself)
    /// of the sockets it has nothing to do for.
    pub fn keep_alive(
        &self,
        tick: u64,
        pass_every: Duration,
        ping_every: Duration,
        idle_timeout: Duration,
    ) {
        let pass_ms = pass_every.as_millis().max(1);
        let slots = (ping_every.as_millis() / pass_ms).max(1) as u64;
        let silence_every = (1000 / pass_ms).max(1) as u64;
        let looks_at_silence = tick.is_multiple_of(silence_every);
        let now = clock_ms();
        let idle_ms = idle_timeout.as_millis() as u64;
        for org in self.orgs.iter() {
            for peers in [&org.agents, &org.tabs] {
                for peer in peers.iter() {
                    let pings = peer.key() % slots == tick % slots;
                    if !pings && !looks_at_silence {
                        continue;
                    }
                    let control = &peer.value().control;
                    if control.silent_ms(now) > idle_ms {
                        control.close(CloseCause::IdleTimeout);
                    } else if pings {
                        control.request_ping();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::test_support::{hub, org};
    use crate::hub::{ConnEvent, PeerKind};
    use shared::Role;

    #[tokio::test(start_paused = true)]
    async fn pings_are_spread_over_the_period_and_silent_sockets_closed() {
        let hub = hub();
        let org = org(&hub, 1);
        let regs: Vec<_> = (0..4)
            .map(|_| hub.attach(&org, PeerKind::Agent, 7, Role::Member, 1, |_| None))
            .collect();
        let pinged = |regs: &[crate::hub::Registration]| {
            regs.iter()
                .filter(|r| matches!(r.control.try_next(), Some(ConnEvent::Ping)))
                .count()
        };
        // A 2-second ping period: half the sockets on each pass, all of them over two passes.
        let pass = Duration::from_secs(1);
        hub.keep_alive(0, pass, Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(pinged(&regs), 2);
        hub.keep_alive(1, pass, Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(pinged(&regs), 2);
        // Passes every 500 ms over the same period: a quarter of them each time.
        let quarter = Duration::from_millis(500);
        for tick in 0..4 {
            hub.keep_alive(
                tick,
                quarter,
                Duration::from_secs(2),
                Duration::from_secs(10),
            );
            assert_eq!(pinged(&regs), 1, "pass {tick}");
        }

        tokio::time::advance(Duration::from_secs(6)).await;
        regs[0].control.heard();
        hub.keep_alive(2, pass, Duration::from_secs(60), Duration::from_secs(5));
        assert_eq!(regs[0].control.close_requested(), None, "it spoke just now");
        for silent in &regs[1..] {
            assert_eq!(
                silent.control.close_requested(),
                Some(CloseCause::IdleTimeout)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn silence_is_looked_at_once_a_second_not_on_every_pass() {
        let hub = hub();
        let org = org(&hub, 1);
        let regs: Vec<_> = (0..3)
            .map(|_| hub.attach(&org, PeerKind::Agent, 7, Role::Member, 1, |_| None))
            .collect();
        tokio::time::advance(Duration::from_secs(6)).await;
        let (pass, ping, idle) = (
            Duration::from_millis(50),
            Duration::from_secs(20),
            Duration::from_secs(5),
        );
        // Pass 399 pings nobody (400 slots, small connection numbers) and is not a silence pass.
        hub.keep_alive(399, pass, ping, idle);
        assert!(regs.iter().all(|r| r.control.close_requested().is_none()));
        // Pass 400 is (one in twenty passes of 50 ms): every silent socket is closed.
        hub.keep_alive(400, pass, ping, idle);
        for r in &regs {
            assert_eq!(r.control.close_requested(), Some(CloseCause::IdleTimeout));
        }
    }
}
