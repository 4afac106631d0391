//! A hub, organizations and members for the hub's unit tests.

use std::sync::Arc;

use super::{Hub, HubSettings, Noted, OrgDirectory, OrgHub, PolicyState};
use crate::events::MemberInfo;
use crate::metrics::Metrics;
use shared::{Policy, Role};

/// A hub with no grace period and the policies' own idle thresholds.
pub fn hub() -> Hub {
    noting_hub().0
}

/// [`hub`], with what it hands to the write-behind.
pub fn noting_hub() -> (Hub, Arc<Noted>) {
    let noted = Arc::new(Noted::default());
    let hub = Hub::new(
        HubSettings {
            offline_grace_ms: 0,
            idle_threshold_override_ms: None,
            max_sockets_per_user: 20,
        },
        Metrics::new(),
        noted.clone(),
    );
    (hub, noted)
}

/// Organization `id`, named "Org {id}", in UTC, at policy version 1.
pub fn org_with_policy(hub: &Hub, id: i64, policy: Policy) -> Arc<OrgHub> {
    hub.install_org(OrgDirectory {
        org_id: id,
        name: format!("Org {id}"),
        policy: PolicyState {
            version: 1,
            config: policy,
            updated_at: 0,
        },
        members: Vec::new(),
        running: Vec::new(),
        statuses: Vec::new(),
        on_servers: Vec::new(),
    })
}

pub fn org(hub: &Hub, id: i64) -> Arc<OrgHub> {
    org_with_policy(hub, id, Policy::default())
}

/// An active member `id` with `role`.
pub fn member(org: &OrgHub, id: i64, role: Role) {
    org.upsert_member(&MemberInfo {
        user_id: id,
        name: format!("user {id}"),
        role,
        active: true,
        last_activity_at: None,
    });
}

/// Waits (up to 5 s) until `done` holds, letting other tasks run meanwhile.
pub async fn eventually(done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition did not hold within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
