//! Keep-alive for every socket from one task: pings spread over the ping period, and silent
//! clients closed. One timer per connection would cost each socket a timer entry (and its
//! task a larger future) to do what one pass over the connection maps does each second.

use std::time::Duration;

use super::close::CloseCause;
use super::peer::clock_ms;
use super::Hub;

impl Hub {
    /// One keep-alive pass, run every second (`tick` counts the passes). Each socket is pinged
    /// once per `ping_every`, on the pass its connection number falls on, so the pings of
    /// 19,000 sockets do not all leave in the same instant; any socket silent for longer than
    /// `idle_timeout` is closed with 1001.
    pub fn keep_alive(&self, tick: u64, ping_every: Duration, idle_timeout: Duration) {
        let slots = ping_every.as_secs().max(1);
        let now = clock_ms();
        let idle_ms = idle_timeout.as_millis() as u64;
        for org in self.orgs.iter() {
            for peers in [&org.agents, &org.tabs] {
                for peer in peers.iter() {
                    let control = &peer.value().control;
                    if control.silent_ms(now) > idle_ms {
                        control.close(CloseCause::IdleTimeout);
                    } else if peer.key() % slots == tick % slots {
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
        hub.keep_alive(0, Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(pinged(&regs), 2);
        hub.keep_alive(1, Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(pinged(&regs), 2);

        tokio::time::advance(Duration::from_secs(6)).await;
        regs[0].control.heard();
        hub.keep_alive(2, Duration::from_secs(60), Duration::from_secs(5));
        assert_eq!(regs[0].control.close_requested(), None, "it spoke just now");
        for silent in &regs[1..] {
            assert_eq!(
                silent.control.close_requested(),
                Some(CloseCause::IdleTimeout)
            );
        }
    }
}
