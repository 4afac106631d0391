//! The events: what an operation announces once its change is committed. A leaf: it knows
//! only the wire types of `shared`, so the rules, the store and the hub may all use it.

use serde::{Deserialize, Serialize};
use shared::game_servers::GameServerUpdate;
use shared::protocol::{
    ConfigUpdated, SessionDeleted, SessionEnded, SessionInfo, TimesheetUpdated,
};
use shared::Role;

/// A user as every node's directory needs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub last_activity_at: Option<i64>,
}

/// A committed change that sockets hear about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A running session began (a start, or a replayed offline start).
    SessionStarted { session: SessionInfo },
    /// A running session ended: the user's stop, an admin's force-end, an automatic stop.
    SessionEnded { user_id: i64, ended: SessionEnded },
    /// A session was corrected, recorded after the fact, or had idle time discarded.
    SessionUpdated { session: SessionInfo },
    /// A completed session became a tombstone.
    SessionDeleted { deleted: SessionDeleted },
    /// A user's week was approved or reopened.
    TimesheetUpdated { update: TimesheetUpdated },
    /// The tracking policy was saved with a new version.
    ConfigUpdated {
        update: ConfigUpdated,
        updated_at: i64,
    },
    /// A user was created or changed (name, role, deactivated...).
    MemberChanged { member: MemberInfo },
    /// Logins were signed out: their sockets close with 4001.
    TokensRevoked { token_ids: Vec<i64> },
    /// The organization was renamed or moved to another timezone.
    OrgUpdated { name: String, timezone: String },
    /// A game server changed: a poll, an admin's edit, a deletion.
    GameServerUpdated { update: Box<GameServerUpdate> },
    /// A game server has been short of staff for its `alert_after_minutes`.
    CoverageAlert {
        alert: shared::game_servers::CoverageAlert,
    },
    /// A coverage alert ended.
    CoverageCleared {
        cleared: shared::game_servers::CoverageCleared,
    },
    /// A webhook delivery was made, attempted or given up (admins' settings page).
    WebhookDeliveryUpdated {
        delivery: shared::webhooks::WebhookDelivery,
    },
    /// An absence was requested, approved, refused or cancelled.
    AbsenceUpdated {
        absence: Box<shared::worktime::Absence>,
    },
    /// A user set or cleared their break or custom status (and do-not-disturb).
    StatusChanged {
        user_id: i64,
        status: Option<shared::CustomStatus>,
    },
}

impl Event {
    /// The name used in logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionStarted { .. } => "session_started",
            Event::SessionEnded { .. } => "session_ended",
            Event::SessionUpdated { .. } => "session_updated",
            Event::SessionDeleted { .. } => "session_deleted",
            Event::TimesheetUpdated { .. } => "timesheet_updated",
            Event::AbsenceUpdated { .. } => "absence_updated",
            Event::ConfigUpdated { .. } => "config_updated",
            Event::MemberChanged { .. } => "member_changed",
            Event::TokensRevoked { .. } => "tokens_revoked",
            Event::OrgUpdated { .. } => "org_updated",
            Event::GameServerUpdated { .. } => "game_server_updated",
            Event::StatusChanged { .. } => "status_changed",
            Event::CoverageAlert { .. } => "coverage_alert",
            Event::CoverageCleared { .. } => "coverage_cleared",
            Event::WebhookDeliveryUpdated { .. } => "webhook_delivery_updated",
        }
    }

    /// Whether the live rules' clock (`crate::jobs::live_rules`) needs to hear of it.
    pub fn concerns_rules(&self) -> bool {
        matches!(
            self,
            Event::SessionStarted { .. }
                | Event::SessionUpdated { .. }
                | Event::SessionEnded { .. }
                | Event::ConfigUpdated { .. }
                | Event::OrgUpdated { .. }
        )
    }
}

/// An event as committed: its organization and, on PostgreSQL, its place in that
/// organization's outbox (gapless, commit order).
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub org_id: i64,
    pub seq: Option<i64>,
    pub event: Event,
}

/// Where an operation hands its committed events: the server's publisher (this node's hub,
/// through the cluster bus on PostgreSQL), or a recorder in the operations' unit tests.
pub trait Publisher: Send + Sync {
    fn publish(&self, published: Published);
}
