//! A hub, organizations and members for the hub's unit tests.

use std::sync::Arc;

use super::{Hub, HubSettings, OrgHub};
use crate::metrics::Metrics;
use crate::store::{OrgRow, PolicyRow, UserRow};
use shared::{Policy, Role};

/// A hub with no grace period and the policies' own idle thresholds.
pub fn hub() -> Hub {
    Hub::new(
        HubSettings {
            offline_grace_ms: 0,
            idle_threshold_override_ms: None,
        },
        Metrics::new(),
    )
}

/// Organization `id`, named "Org {id}", in UTC, at policy version 1.
pub fn org_with_policy(hub: &Hub, id: i64, policy: Policy) -> Arc<OrgHub> {
    let row = OrgRow {
        id,
        name: format!("Org {id}"),
        timezone: "UTC".into(),
        created_at: 0,
    };
    let policy = PolicyRow {
        org_id: id,
        config_version: 1,
        config: policy,
        updated_at: 0,
    };
    hub.install_org(&row, &policy)
}

pub fn org(hub: &Hub, id: i64) -> Arc<OrgHub> {
    org_with_policy(hub, id, Policy::default())
}

/// An active member `id` with `role`.
pub fn member(org: &OrgHub, id: i64, role: Role) {
    org.upsert_member(&UserRow {
        id,
        org_id: org.org_id,
        email: format!("u{id}@t.test"),
        name: format!("user {id}"),
        role,
        password_hash: String::new(),
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
        created_at: 0,
        active: true,
        last_activity_at: None,
    });
}
