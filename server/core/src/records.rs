//! What the hub hands to the write-behind beside it (`server/src/write_behind/`): the latest
//! presence of a user, a heartbeat's share of a session's activity, what a device did. The hub
//! only notes them through [`crate::hub::WriteBehind`]; the server writes them, coalesced.

use shared::PresenceStatus;

use crate::domain::activity::SlotCounts;

/// The latest known presence of one user, as the coalescing writer hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceWrite {
    pub user_id: i64,
    pub org_id: i64,
    pub status: PresenceStatus,
    pub last_activity_at: Option<i64>,
}

/// One heartbeat's share of a running session's activity.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatActivity {
    pub session_id: i64,
    pub user_id: i64,
    pub slot_start: i64,
    pub counts: SlotCounts,
    /// The focused app, its window title, and the milliseconds attributed to it.
    pub app: Option<(String, String, i64)>,
}

/// What one session's slot gained since the last flush.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotWrite {
    pub session_id: i64,
    pub user_id: i64,
    pub slot_start: i64,
    pub counts: SlotCounts,
}

/// Time one session's app gained since the last flush.
#[derive(Debug, Clone, PartialEq)]
pub struct AppWrite {
    pub session_id: i64,
    pub user_id: i64,
    pub app: String,
    pub active_ms: i64,
    pub last_title: Option<String>,
}

/// What the hub learned of one device since the last flush; `None` keeps the stored value.
/// Small on purpose: every agent that connects has one pending until the next flush (the
/// rarely known fields are boxed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceWrite {
    pub token_id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub seen_at: i64,
    /// Whether a socket of the device is open (every write knows: it comes from one).
    pub connected: bool,
    pub connected_at: Option<i64>,
    pub reported: Option<Box<Reported>>,
}

/// What the agent said about itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reported {
    pub agent_version: Option<String>,
    pub os: Option<String>,
    pub config_version: Option<i64>,
    pub config_applied_at: Option<i64>,
    /// (when, error): `error` empty for a success.
    pub capture: Option<(i64, String)>,
}

impl DeviceWrite {
    /// Folds a later write of the same device into this one.
    pub fn merge(&mut self, later: DeviceWrite) {
        self.seen_at = self.seen_at.max(later.seen_at);
        self.connected = later.connected;
        if later.connected_at.is_some() {
            self.connected_at = later.connected_at;
        }
        let Some(later) = later.reported else {
            return;
        };
        let mine = self.reported.get_or_insert_with(Box::default);
        macro_rules! newer {
            ($($f:ident),*) => { $( if later.$f.is_some() { mine.$f = later.$f; } )* };
        }
        newer!(
            agent_version,
            os,
            config_version,
            config_applied_at,
            capture
        );
    }

    /// What the agent reported, or nothing.
    pub fn reported(&self) -> &Reported {
        static NONE: Reported = Reported {
            agent_version: None,
            os: None,
            config_version: None,
            config_applied_at: None,
            capture: None,
        };
        self.reported.as_deref().unwrap_or(&NONE)
    }
}
