//! One's own status.

use chrono::{Duration, Utc};

use super::Fixture;
use crate::ops::{status, OpError};
use hub_core::events::Event;
use shared::presence::SetStatusRequest;
use shared::Role;

#[tokio::test]
async fn a_status_is_saved_and_announced_and_cleared() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let req = SetStatusRequest {
        text: "Lunch".into(),
        emoji: None,
        until: Some(Utc::now() + Duration::minutes(30)),
        dnd: Some(true),
        ..SetStatusRequest::default()
    };
    let set = status::set(&f.ctx(), &alice, req).await.expect("set");
    assert_eq!(set.as_ref().map(|s| s.text.as_str()), Some("Lunch"));
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::StatusChanged { user_id, status: Some(s) }] if *user_id == alice.id && s.dnd),
        "{events:?}"
    );
    status::clear(&f.ctx(), &alice).await.expect("cleared");
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::StatusChanged { status: None, .. }]),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_status_too_long_or_ending_too_late_is_refused() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let long = SetStatusRequest {
        text: "x".repeat(101),
        ..SetStatusRequest::default()
    };
    let refused = status::set(&f.ctx(), &alice, long).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("text")),
        "{refused:?}"
    );
    let late = SetStatusRequest {
        text: "Away".into(),
        until: Some(Utc::now() + Duration::days(8)),
        ..SetStatusRequest::default()
    };
    let refused = status::set(&f.ctx(), &alice, late).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("until")),
        "{refused:?}"
    );
    assert!(f.published.take().is_empty());
}
