//! What the fuzz targets share: a hub with one organization and its two users (a member and a
//! supervisor), as the socket handlers see them after the handshake.

use std::sync::Arc;

use server::events::MemberInfo;
use server::hub::{Hub, HubSettings, Noted, OrgDirectory, OrgHub, PolicyState};
use server::metrics::Metrics;
use shared::{Policy, Role};

pub mod frames;
pub mod targets;

/// The member the sockets belong to.
pub const MEMBER: i64 = 1;
/// A supervisor whose tab sees the whole organization.
pub const SUPERVISOR: i64 = 2;

/// A fresh hub with organization 1 holding [`MEMBER`] and [`SUPERVISOR`].
pub fn hub_with_org() -> (Arc<Hub>, Arc<OrgHub>) {
    let hub = Arc::new(Hub::new(
        HubSettings {
            offline_grace_ms: 0,
            idle_threshold_override_ms: None,
            max_sockets_per_user: 20,
        },
        Metrics::new(),
        Arc::new(Noted::default()),
    ));
    let member = |user_id, role| MemberInfo {
        user_id,
        name: format!("user {user_id}"),
        role,
        active: true,
        last_activity_at: None,
    };
    let org = hub.install_org(OrgDirectory {
        org_id: 1,
        name: "Fuzz".into(),
        policy: PolicyState {
            version: 1,
            config: Policy::default(),
            updated_at: 0,
        },
        members: vec![
            member(MEMBER, Role::Member),
            member(SUPERVISOR, Role::Supervisor),
        ],
        running: Vec::new(),
        statuses: Vec::new(),
        on_servers: Vec::new(),
    });
    (hub, org)
}

/// Checks that a socket handler's answer to `text` is what a client can read: nothing, or an
/// error with a code and a message that serializes to the spec's `{"type":"error"}` JSON.
pub fn check_answer(text: &str, answer: Result<(), shared::protocol::SocketError>) {
    if let Err(error) = answer {
        assert!(!error.code.is_empty(), "an error code for {text:?}");
        assert!(!error.message.is_empty(), "a message for {text:?}");
        let frame = serde_json::json!({"type": "error", "error": error}).to_string();
        let back: serde_json::Value = serde_json::from_str(&frame).expect("the error is JSON");
        assert_eq!(back["type"], "error");
    }
}
