//! Presence rules: a user's status from all of their connections and their last activity.
//!
//! `active`  — connected (or within the grace period) and active within the idle threshold;
//! `idle`    — connected (or within the grace period) but not active lately;
//! `offline` — no connection for longer than the grace period.

use shared::PresenceStatus;

/// Thresholds in force for one organization (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceRules {
    pub idle_threshold_ms: i64,
    pub offline_grace_ms: i64,
}

/// One user's presence, across every socket (agents and tabs) they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPresence {
    connections: u32,
    last_activity_ms: Option<i64>,
    /// When the last connection closed; `None` while connected or never connected.
    disconnected_at_ms: Option<i64>,
    /// The status last decided (and published).
    status: Option<PresenceStatus>,
}

impl UserPresence {
    /// A user known from storage: offline, with their stored last activity.
    pub fn restored(last_activity_ms: Option<i64>) -> Self {
        UserPresence {
            last_activity_ms,
            status: Some(PresenceStatus::Offline),
            ..Default::default()
        }
    }

    pub fn status(&self) -> PresenceStatus {
        self.status.unwrap_or(PresenceStatus::Offline)
    }

    pub fn last_activity_ms(&self) -> Option<i64> {
        self.last_activity_ms
    }

    pub fn connections(&self) -> u32 {
        self.connections
    }

    pub fn connect(&mut self) {
        self.connections += 1;
        self.disconnected_at_ms = None;
    }

    pub fn disconnect(&mut self, now_ms: i64) {
        self.connections = self.connections.saturating_sub(1);
        if self.connections == 0 {
            self.disconnected_at_ms = Some(now_ms);
        }
    }

    /// Records activity at `at_ms` (never moves the last activity backwards).
    /// Returns true when the last activity advanced.
    pub fn record_activity(&mut self, at_ms: i64) -> bool {
        if self.last_activity_ms.is_some_and(|last| last >= at_ms) {
            return false;
        }
        self.last_activity_ms = Some(at_ms);
        true
    }

    /// The status these facts give at `now_ms`.
    pub fn compute(&self, now_ms: i64, rules: PresenceRules) -> PresenceStatus {
        let present = self.connections > 0
            || self
                .disconnected_at_ms
                .is_some_and(|gone| now_ms - gone < rules.offline_grace_ms)
                && self.status.is_some_and(|s| s != PresenceStatus::Offline);
        if !present {
            return PresenceStatus::Offline;
        }
        match self.last_activity_ms {
            Some(last) if now_ms - last < rules.idle_threshold_ms => PresenceStatus::Active,
            _ => PresenceStatus::Idle,
        }
    }

    /// Re-decides the status; returns the new one if it changed.
    pub fn refresh(&mut self, now_ms: i64, rules: PresenceRules) -> Option<PresenceStatus> {
        let next = self.compute(now_ms, rules);
        if self.status == Some(next) {
            return None;
        }
        self.status = Some(next);
        Some(next)
    }

    /// True while time alone can still change the status (so a sweeper must look again).
    pub fn time_sensitive(&self) -> bool {
        self.connections > 0
            || self.disconnected_at_ms.is_some() && self.status() != PresenceStatus::Offline
    }
}

/// How present a status is: active over idle over offline.
fn rank(status: PresenceStatus) -> u8 {
    match status {
        PresenceStatus::Active => 2,
        PresenceStatus::Idle => 1,
        PresenceStatus::Offline => 0,
    }
}

/// One node's view of a user (in cluster mode every node owns its own connections' state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeView {
    pub status: PresenceStatus,
    pub last_activity_ms: Option<i64>,
}

/// A user's presence across nodes: the most present status of any node, and the latest
/// activity any node saw.
pub fn merge(views: impl IntoIterator<Item = NodeView>) -> NodeView {
    views.into_iter().fold(
        NodeView {
            status: PresenceStatus::Offline,
            last_activity_ms: None,
        },
        |acc, v| NodeView {
            status: if rank(v.status) > rank(acc.status) {
                v.status
            } else {
                acc.status
            },
            last_activity_ms: acc.last_activity_ms.max(v.last_activity_ms),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use PresenceStatus::*;

    #[test]
    fn the_most_present_node_wins_and_the_latest_activity_is_kept() {
        let view = |status, last| NodeView {
            status,
            last_activity_ms: last,
        };
        assert_eq!(merge([]), view(Offline, None));
        assert_eq!(
            merge([
                view(Offline, Some(50)),
                view(Idle, Some(10)),
                view(Offline, None)
            ]),
            view(Idle, Some(50))
        );
        assert_eq!(
            merge([view(Idle, Some(70)), view(Active, Some(60))]),
            view(Active, Some(70))
        );
    }

    const RULES: PresenceRules = PresenceRules {
        idle_threshold_ms: 60_000,
        offline_grace_ms: 5_000,
    };

    #[test]
    fn never_connected_is_offline() {
        let mut p = UserPresence::default();
        assert_eq!(p.refresh(0, RULES), Some(Offline));
        assert_eq!(p.refresh(1_000_000, RULES), None);
    }

    #[test]
    fn connecting_without_activity_is_idle_then_activity_makes_active() {
        let mut p = UserPresence::restored(None);
        p.connect();
        assert_eq!(p.refresh(1_000, RULES), Some(Idle));
        p.record_activity(1_500);
        assert_eq!(p.refresh(1_500, RULES), Some(Active));
    }

    #[test]
    fn active_turns_idle_exactly_at_the_threshold() {
        let mut p = UserPresence::restored(None);
        p.connect();
        p.record_activity(10_000);
        assert_eq!(p.refresh(10_000, RULES), Some(Active));
        assert_eq!(p.refresh(10_000 + 59_999, RULES), None);
        assert_eq!(p.refresh(10_000 + 60_000, RULES), Some(Idle));
    }

    #[test]
    fn stale_activity_from_before_connecting_gives_idle() {
        let mut p = UserPresence::restored(Some(0));
        p.connect();
        assert_eq!(p.refresh(120_000, RULES), Some(Idle));
    }

    #[test]
    fn a_reconnect_within_the_grace_period_never_shows_offline() {
        let mut p = UserPresence::restored(None);
        p.connect();
        p.record_activity(1_000);
        p.refresh(1_000, RULES);
        p.disconnect(2_000);
        assert_eq!(
            p.refresh(2_000 + 4_999, RULES),
            None,
            "still active inside the grace period"
        );
        p.connect();
        assert_eq!(p.refresh(8_000, RULES), None);
        assert_eq!(p.status(), Active);
    }

    #[test]
    fn offline_after_the_grace_period() {
        let mut p = UserPresence::restored(None);
        p.connect();
        p.record_activity(1_000);
        p.refresh(1_000, RULES);
        p.disconnect(2_000);
        assert_eq!(p.refresh(7_000, RULES), Some(Offline));
        assert!(!p.time_sensitive());
    }

    #[test]
    fn one_user_many_connections_stays_present_until_the_last_closes() {
        let mut p = UserPresence::restored(None);
        p.connect(); // agent
        p.connect(); // tab 1
        p.connect(); // tab 2
        p.record_activity(1_000);
        assert_eq!(p.refresh(1_000, RULES), Some(Active));
        p.disconnect(2_000);
        p.disconnect(2_000);
        assert_eq!(
            p.refresh(100_000, RULES),
            Some(Idle),
            "one socket left: idle, not offline"
        );
        p.disconnect(100_000);
        assert_eq!(p.refresh(100_000 + 5_000, RULES), Some(Offline));
    }

    #[test]
    fn activity_never_moves_backwards() {
        let mut p = UserPresence::default();
        assert!(p.record_activity(5_000));
        assert!(!p.record_activity(4_000));
        assert_eq!(p.last_activity_ms(), Some(5_000));
    }

    #[test]
    fn offline_user_in_grace_does_not_come_back() {
        // Disconnected long ago and already offline: a late sweep must not revive them.
        let mut p = UserPresence::restored(Some(1_000));
        assert_eq!(p.refresh(1_000, RULES), None);
        assert_eq!(p.status(), Offline);
    }
}
