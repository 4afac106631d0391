//! The tracking policy.

use serde_json::{json, Map, Value};

use super::{actor, Fixture};
use crate::ops::{policy, OpError};
use hub_core::events::Event;
use shared::Role;

fn patch(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("an object"),
    }
}

#[tokio::test]
async fn the_owner_saves_a_new_version_and_every_agent_hears_of_it() {
    let f = Fixture::new().await;
    let owner = actor(&f.owner);
    let before = f.store.get_policy(f.org_id()).await.expect("policy");
    let row = policy::update(
        &f.ctx(),
        &owner,
        &patch(json!({"idle_threshold_seconds": 120})),
    )
    .await
    .expect("saved");
    assert_eq!(row.config_version, before.config_version + 1);
    assert_eq!(row.config.idle_threshold_seconds, 120);
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::ConfigUpdated { update, .. }]
            if update.config_version == row.config_version && update.changed == ["idle_threshold_seconds"]),
        "{events:?}"
    );
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("POLICY_CHANGED")
    );
    // The same value again: no new version, nothing announced.
    let same = policy::update(
        &f.ctx(),
        &owner,
        &patch(json!({"idle_threshold_seconds": 120})),
    )
    .await
    .expect("unchanged");
    assert_eq!(same.config_version, row.config_version);
    assert!(f.published.take().is_empty());
}

#[tokio::test]
async fn an_invalid_field_saves_nothing_and_names_the_field() {
    let f = Fixture::new().await;
    let owner = actor(&f.owner);
    let before = f.store.get_policy(f.org_id()).await.expect("policy");
    let refused = policy::update(
        &f.ctx(),
        &owner,
        &patch(json!({"idle_threshold_seconds": 5, "screenshots_enabled": false})),
    )
    .await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("idle_threshold_seconds")),
        "{refused:?}"
    );
    let after = f.store.get_policy(f.org_id()).await.expect("policy");
    assert_eq!(after.config_version, before.config_version);
    assert_eq!(after.config, before.config, "not even the valid field");
    assert!(f.published.take().is_empty());
}

#[tokio::test]
async fn only_the_owner_changes_the_policy() {
    let f = Fixture::new().await;
    let admin = actor(&f.user("Ada", Role::Admin).await);
    let refused = policy::update(
        &f.ctx(),
        &admin,
        &patch(json!({"idle_threshold_seconds": 120})),
    )
    .await;
    assert!(matches!(refused, Err(OpError::Forbidden(_))), "{refused:?}");
    assert!(f.published.take().is_empty());
}
