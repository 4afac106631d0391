//! Corrections of recorded time: changed with a reason, or deleted as a tombstone.

use chrono::{Duration, Utc};

use super::Fixture;
use crate::ops::timesheets::{set_week, WeekAction};
use crate::ops::{corrections, sessions, OpError};
use crate::store::{Created, SessionRow, StoreError, UserRow};
use hub_core::events::Event;
use shared::api::ManualSessionRequest;
use shared::timesheets::{CorrectSessionRequest, DeleteSessionRequest};
use shared::Role;

/// A finished hour of `user`'s, two days ago.
async fn an_hour(f: &Fixture, user: &UserRow) -> SessionRow {
    let start = Utc::now() - Duration::days(2);
    let req = ManualSessionRequest {
        ticket_id: None,
        start_time: start,
        end_time: start + Duration::hours(1),
        note: None,
        client_id: None,
    };
    let Created::New(row) = sessions::manual(&f.ctx(), user, &req)
        .await
        .expect("recorded")
    else {
        panic!("new")
    };
    f.published.take();
    row
}

fn shorten(row: &SessionRow, minutes: i64, reason: &str) -> CorrectSessionRequest {
    CorrectSessionRequest {
        end_time: Some(
            chrono::DateTime::from_timestamp_millis(row.started_at).expect("a time")
                + Duration::minutes(minutes),
        ),
        reason: reason.into(),
        ..CorrectSessionRequest::default()
    }
}

#[tokio::test]
async fn a_correction_needs_a_reason_changes_the_duration_and_is_audited_and_announced() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let row = an_hour(&f, &alice).await;
    let no_reason =
        corrections::correct(&f.ctx(), &alice, row.id, &shorten(&row, 30, " "), None).await;
    assert!(
        matches!(&no_reason, Err(OpError::Invalid { fields, .. }) if fields.contains_key("reason")),
        "{no_reason:?}"
    );
    let fixed = corrections::correct(
        &f.ctx(),
        &alice,
        row.id,
        &shorten(&row, 30, "forgot to stop"),
        None,
    )
    .await
    .expect("corrected");
    assert_eq!(fixed.duration_seconds, Some(1800));
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::SessionUpdated { session }] if session.duration_seconds == Some(1800)),
        "{events:?}"
    );
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("SESSION_EDITED")
    );
    let backwards =
        corrections::correct(&f.ctx(), &alice, row.id, &shorten(&row, -5, "oops"), None).await;
    assert!(
        matches!(&backwards, Err(OpError::Invalid { fields, .. }) if fields.contains_key("end_time")),
        "{backwards:?}"
    );
}

#[tokio::test]
async fn another_members_session_is_not_found_and_a_supervisor_may_not_correct_it() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let row = an_hour(&f, &alice).await;
    let by_bob =
        corrections::correct(&f.ctx(), &bob, row.id, &shorten(&row, 10, "mine"), None).await;
    assert!(
        matches!(by_bob, Err(OpError::NotFound("Session"))),
        "{by_bob:?}"
    );
    let by_lead =
        corrections::correct(&f.ctx(), &lead, row.id, &shorten(&row, 10, "tidy"), None).await;
    assert!(matches!(by_lead, Err(OpError::Forbidden(_))), "{by_lead:?}");
    let admin = f.user("Ada", Role::Admin).await;
    corrections::correct(
        &f.ctx(),
        &admin,
        row.id,
        &shorten(&row, 10, "agreed with Alice"),
        None,
    )
    .await
    .expect("an admin corrects anyone's time");
}

#[tokio::test]
async fn a_deleted_session_leaves_a_tombstone_and_an_approved_week_is_locked() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let row = an_hour(&f, &alice).await;
    let deleted = corrections::delete(
        &f.ctx(),
        &alice,
        row.id,
        &DeleteSessionRequest {
            reason: "a test entry".into(),
        },
        None,
    )
    .await
    .expect("deleted");
    assert_eq!(deleted.id, row.id);
    assert_eq!(f.published.kinds(), ["session_deleted"]);
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("SESSION_DELETED")
    );

    let other = an_hour(&f, &alice).await;
    let tz = f.store.org_timezone(f.org_id()).await.expect("timezone");
    let week = crate::domain::weeks::IsoWeek::names_touched(other.started_at, other.started_at, tz);
    set_week(
        &f.ctx(),
        &lead,
        alice.id,
        &week[0],
        WeekAction::Approve,
        None,
    )
    .await
    .expect("approved");
    f.published.take();
    let locked = corrections::correct(
        &f.ctx(),
        &alice,
        other.id,
        &shorten(&other, 20, "late fix"),
        None,
    )
    .await;
    assert!(
        matches!(
            locked,
            Err(OpError::Conflict(_)
                | OpError::Store(StoreError::Conflict(_) | StoreError::Refused(_)))
        ),
        "{locked:?}"
    );
    assert!(
        f.published.take().is_empty(),
        "nothing announced for a refusal"
    );
}
