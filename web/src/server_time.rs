//! How the game server pages show time: bar widths, end reasons, running durations.

use shared::game_servers::{GameServer, ServerSession};

/// A bar's width: `part` as a whole percentage of `whole` (0–100; 0 when there is no time).
pub fn share_percent(part: i64, whole: i64) -> u32 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    ((part.min(whole) as i128 * 100) / whole as i128) as u32
}

/// The stored end reason in words.
pub fn reason_label(reason: Option<&str>) -> &'static str {
    match reason {
        None => "on the server now",
        Some("left") => "left",
        Some("server_unreachable") => "server stopped answering",
        Some("hub_restart") => "gone after a hub restart",
        Some("server_disabled") => "server disabled",
        Some(_) => "ended",
    }
}

/// A session's seconds: stored when it ended, else up to `now_ms` (the browser clock, `None`
/// before hydration: then an open session has no duration to show yet).
pub fn seconds(s: &ServerSession, now_ms: Option<i64>) -> Option<i64> {
    match (s.duration_seconds, now_ms) {
        (Some(d), _) => Some(d),
        (None, Some(now)) => Some(((now - s.join_time.timestamp_millis()) / 1000).max(0)),
        (None, None) => None,
    }
}

/// "Answering", "No answer (3 polls)", "Disabled", "Not polled yet".
pub fn server_state(s: &GameServer) -> (&'static str, String) {
    if !s.enabled {
        ("disabled", "Disabled".into())
    } else if s.consecutive_failures > 0 {
        let polls = if s.consecutive_failures == 1 {
            "poll"
        } else {
            "polls"
        };
        (
            "unreachable",
            format!("No answer ({} {polls})", s.consecutive_failures),
        )
    } else if s.last_polled_at.is_none() {
        ("pending", "Not polled yet".into())
    } else {
        ("online", "Answering".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(share_percent(1, 3), 33);
        assert_eq!(share_percent(3, 3), 100);
        assert_eq!(share_percent(5, 0), 0);
        assert_eq!(share_percent(9, 3), 100);
    }

    #[test]
    fn reasons() {
        assert_eq!(reason_label(None), "on the server now");
        assert_eq!(
            reason_label(Some("server_unreachable")),
            "server stopped answering"
        );
    }
}
