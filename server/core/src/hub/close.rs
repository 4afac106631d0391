//! Why the hub closes a socket: each cause carries the close code the client sees and the
//! reason sent with it (RFC 6455 §7.4), so a code is never sent without its reason.

use shared::protocol::close_code;

/// A reason the hub closes a socket. Small and `Copy`: the hub stores one per connection in an
/// atomic byte ([`CloseCause::to_byte`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CloseCause {
    /// The connection is over (the hub dropped it); nothing to tell the client.
    Normal = 1,
    /// The client stopped answering pings.
    IdleTimeout = 2,
    /// More messages a second than the limit.
    RateLimited = 3,
    /// The user already holds the most sockets allowed.
    TooManyConnections = 4,
    /// The hub is shutting down or restarting: reconnect.
    ServiceRestart = 5,
    /// The client did not read its messages.
    SlowConsumer = 6,
    /// The token was revoked or the user deactivated.
    Unauthorized = 7,
}

impl CloseCause {
    /// The `reason` label of `presence_hub_connections_refused_total` for a socket refused
    /// with this cause.
    pub fn metric_label(self) -> &'static str {
        match self {
            CloseCause::TooManyConnections => "too_many_connections",
            _ => "other",
        }
    }

    const ALL: [CloseCause; 7] = [
        CloseCause::Normal,
        CloseCause::IdleTimeout,
        CloseCause::RateLimited,
        CloseCause::TooManyConnections,
        CloseCause::ServiceRestart,
        CloseCause::SlowConsumer,
        CloseCause::Unauthorized,
    ];

    pub fn code(self) -> u16 {
        match self {
            CloseCause::Normal => close_code::NORMAL,
            CloseCause::IdleTimeout => close_code::GOING_AWAY,
            CloseCause::RateLimited | CloseCause::TooManyConnections => {
                close_code::POLICY_VIOLATION
            }
            CloseCause::ServiceRestart => close_code::SERVICE_RESTART,
            CloseCause::SlowConsumer => close_code::TRY_AGAIN_LATER,
            CloseCause::Unauthorized => close_code::UNAUTHORIZED,
        }
    }

    /// The reason sent in the Close frame (at most 123 bytes of UTF-8, RFC 6455 §5.5).
    pub fn reason(self) -> &'static str {
        match self {
            CloseCause::Normal => "closed by the hub",
            CloseCause::IdleTimeout => "idle timeout",
            CloseCause::RateLimited => "rate limit: too many messages a second",
            CloseCause::TooManyConnections => "too many connections",
            CloseCause::ServiceRestart => "service restart",
            CloseCause::SlowConsumer => "slow consumer: messages were not read",
            CloseCause::Unauthorized => "logged out",
        }
    }

    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// The cause stored by [`CloseCause::to_byte`]; `None` for 0 (no close asked).
    pub fn from_byte(byte: u8) -> Option<CloseCause> {
        CloseCause::ALL.into_iter().find(|c| c.to_byte() == byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_survives_its_byte_and_has_a_short_reason() {
        assert_eq!(CloseCause::from_byte(0), None);
        for cause in CloseCause::ALL {
            assert_eq!(CloseCause::from_byte(cause.to_byte()), Some(cause));
            assert!(cause.reason().len() <= 123, "{cause:?}");
            assert!(!cause.reason().is_empty(), "{cause:?}");
        }
    }

    #[test]
    fn the_spec_codes() {
        assert_eq!(CloseCause::TooManyConnections.code(), 1008);
        assert_eq!(CloseCause::RateLimited.code(), 1008);
        assert_eq!(CloseCause::ServiceRestart.code(), 1012);
        assert_eq!(CloseCause::SlowConsumer.code(), 1013);
        assert_eq!(CloseCause::Unauthorized.code(), 4001);
    }
}
