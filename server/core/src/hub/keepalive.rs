//! Keep-alive for every socket from one task: pings spread over the ping period, and silent
//! clients closed. One timer per connection would cost each socket a timer entry (and its
//! task a larger future) to do what one pass over the connection maps does each second.

use std::time::Duration;

use super::close::CloseCause;
use super::peer::clock_ms;
use super::Hub;

impl Hub {
    /// One keep-alive pass, run every `pass_every` (`tick` counts the passes). Each socket has
    /// a ping slot once per `ping_every`, on the pass its connection number falls on, and is
    /// pinged there only if the client has been quiet for a while (see [`ping_after`]). Any
    /// socket silent for longer than `idle_timeout` is closed with 1001; silence is looked at
    /// once a second (on every pass when passes are a second or more apart) and on each
    /// socket's ping slot.
    ///
    /// Measured (issue 28, `bench --peer`, 15,000 agent sockets heartbeating every 1–5 s,
    /// `perf`): pinging every socket every 20 s regardless — 750 pings a second, each a wake of
    /// its task, a write through tungstenite and a pong to read — and a pass over all 15,000
    /// sockets every 50 ms to find them were a quarter of the hub's CPU samples (writes through
    /// tungstenite 8.6 %, `keep_alive` 6.7 %, the wakes ~6 %, the pongs' reads). A socket that
    /// heartbeats is never pinged now, and the pass runs once a second.
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
        let quiet_ms = ping_after(ping_every, idle_timeout).as_millis() as u64;
        for org in self.orgs.iter() {
            for peers in [&org.agents, &org.tabs] {
                for peer in peers.iter() {
                    let ping_slot = peer.key() % slots == tick % slots;
                    if !ping_slot && !looks_at_silence {
                        continue;
                    }
                    let control = &peer.value().control;
                    let silent = control.silent_ms(now);
                    if silent > idle_ms {
                        control.close(CloseCause::IdleTimeout);
                    } else if ping_slot && silent >= quiet_ms {
                        control.request_ping();
                    }
                }
            }
        }
    }
}

/// How long a client must have been silent before its ping slot pings it. A ping is there to
/// make a quiet client answer before the idle timeout closes it; a client that sent anything
/// (a heartbeat) since needs none. Skipping a slot delays the next ping by one `ping_every`,
/// so a quiet client is pinged at the latest `quiet + ping_every` after it last spoke; with
/// `quiet = idle_timeout − 2 × ping_every` that leaves one more period for the pong to come
/// back. At most `ping_every` (the defaults, 20 s and 60 s, give 20 s); zero (every slot pings,
/// as before) when the idle timeout is two periods or less.
fn ping_after(ping_every: Duration, idle_timeout: Duration) -> Duration {
    idle_timeout.saturating_sub(ping_every * 2).min(ping_every)
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
        // (An idle timeout of two periods: every slot pings, quiet or not.)
        let pass = Duration::from_secs(1);
        let (ping, idle) = (Duration::from_secs(2), Duration::from_secs(4));
        hub.keep_alive(0, pass, ping, idle);
        assert_eq!(pinged(&regs), 2);
        hub.keep_alive(1, pass, ping, idle);
        assert_eq!(pinged(&regs), 2);
        // Passes every 500 ms over the same period: a quarter of them each time.
        let quarter = Duration::from_millis(500);
        for tick in 0..4 {
            hub.keep_alive(tick, quarter, ping, idle);
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

    #[tokio::test(start_paused = true)]
    async fn a_client_that_spoke_lately_is_not_pinged() {
        let hub = hub();
        let org = org(&hub, 1);
        let heartbeating = hub.attach(&org, PeerKind::Agent, 7, Role::Member, 1, |_| None);
        let quiet = hub.attach(&org, PeerKind::Tab, 7, Role::Member, 1, |_| None);
        // The defaults: a ping slot every 20 s, closed after 60 s of silence.
        let (pass, ping, idle) = (
            Duration::from_secs(1),
            Duration::from_secs(20),
            Duration::from_secs(60),
        );
        tokio::time::advance(Duration::from_secs(25)).await;
        heartbeating.control.heard();
        // Twenty passes: every socket's slot comes once.
        let mut pings = (0, 0);
        for tick in 0..20 {
            hub.keep_alive(tick, pass, ping, idle);
            if matches!(heartbeating.control.try_next(), Some(ConnEvent::Ping)) {
                pings.0 += 1;
            }
            if matches!(quiet.control.try_next(), Some(ConnEvent::Ping)) {
                pings.1 += 1;
            }
        }
        assert_eq!(pings, (0, 1), "(heartbeating, quiet 25 s)");
        assert!(heartbeating.control.close_requested().is_none());
        assert!(quiet.control.close_requested().is_none());
    }

    #[test]
    fn a_quiet_client_is_pinged_in_time_for_its_pong() {
        let s = Duration::from_secs;
        assert_eq!(ping_after(s(20), s(60)), s(20));
        // The fault tests' settings: quiet for a second is enough.
        assert_eq!(ping_after(s(2), s(5)), s(1));
        // Two periods or less: every slot pings.
        assert_eq!(ping_after(s(1), s(2)), s(0));
        assert_eq!(ping_after(s(20), s(30)), s(0));
        // Never later than a period: pinged by quiet + period, answered before the timeout.
        for (p, i) in [(2, 10), (5, 17), (20, 600)] {
            let quiet = ping_after(s(p), s(i));
            assert!(quiet <= s(p));
            assert!(quiet + s(p) * 2 <= s(i), "{p} s, {i} s");
        }
    }
}
