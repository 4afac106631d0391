//! Starting, recording and ending work sessions.

use chrono::{Duration, Utc};

use super::Fixture;
use crate::domain::sessions::Ending;
use crate::ops::{sessions, OpError};
use crate::store::{Created, StoreError};
use hub_core::events::Event;
use shared::api::{ManualSessionRequest, StartSessionRequest};
use shared::Role;

fn start_request() -> StartSessionRequest {
    StartSessionRequest {
        ticket_id: None,
        note: Some("on the login page".into()),
        client_id: None,
        started_at: None,
    }
}

#[tokio::test]
async fn a_start_is_committed_then_announced_and_a_second_one_is_refused() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let created = sessions::start(&f.ctx(), &alice, &start_request(), "agent")
        .await
        .expect("started");
    let Created::New(row) = created else {
        panic!("a new session")
    };
    assert!(row.ended_at.is_none());
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::SessionStarted { session }] if session.id == row.id),
        "{events:?}"
    );
    let again = sessions::start(&f.ctx(), &alice, &start_request(), "agent").await;
    assert!(
        matches!(again, Err(OpError::Store(StoreError::Conflict(_)))),
        "{again:?}"
    );
    assert!(f.published.take().is_empty(), "a refusal announces nothing");
}

#[tokio::test]
async fn a_replayed_start_keeps_its_time_but_not_older_than_a_week() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let mut req = start_request();
    let an_hour_ago = Utc::now() - Duration::hours(1);
    req.started_at = Some(an_hour_ago);
    req.client_id = Some("offline-1".into());
    let Created::New(row) = sessions::start(&f.ctx(), &alice, &req, "agent")
        .await
        .expect("replayed")
    else {
        panic!("a new session")
    };
    assert_eq!(row.started_at, an_hour_ago.timestamp_millis());
    // The same replay again answers the stored session, announcing nothing new.
    f.published.take();
    let again = sessions::start(&f.ctx(), &alice, &req, "agent").await;
    assert!(matches!(again, Ok(Created::Existing(r)) if r.id == row.id));

    let bob = f.user("Bob", Role::Member).await;
    req.client_id = Some("offline-2".into());
    req.started_at = Some(Utc::now() - Duration::days(8));
    let old = sessions::start(&f.ctx(), &bob, &req, "agent").await;
    assert!(
        matches!(&old, Err(OpError::Invalid { fields, .. }) if fields.contains_key("started_at")),
        "{old:?}"
    );
}

#[tokio::test]
async fn notes_client_ids_and_tickets_are_checked() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let mut req = start_request();
    req.note = Some("x".repeat(2001));
    let long = sessions::start(&f.ctx(), &alice, &req, "agent").await;
    assert!(matches!(&long, Err(OpError::Invalid { fields, .. }) if fields.contains_key("note")));
    let mut req = start_request();
    req.ticket_id = Some(999);
    let unknown = sessions::start(&f.ctx(), &alice, &req, "agent").await;
    assert!(
        unknown.is_err(),
        "an unknown ticket is refused: {unknown:?}"
    );
    assert!(f.published.take().is_empty());
}

async fn end_as(
    f: &Fixture,
    actor: &crate::store::UserRow,
    session_id: i64,
    ending: Ending,
) -> Result<crate::store::SessionRow, OpError> {
    sessions::end(
        &f.ctx(),
        Some(actor),
        f.org_id(),
        session_id,
        ending,
        None,
        None,
    )
    .await
}

#[tokio::test]
async fn only_admins_end_another_persons_session_with_a_reason_and_it_is_audited() {
    force_end_rules(Fixture::new().await).await;
}

/// The same on a file, where the session read, the end and its audit entry run on the direct
/// SQLite connection.
#[tokio::test]
async fn a_force_end_on_a_sqlite_file_keeps_every_rule() {
    force_end_rules(Fixture::on_file().await).await;
}

async fn force_end_rules(f: Fixture) {
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let admin = f.user("Ada", Role::Admin).await;
    let Created::New(row) = sessions::start(&f.ctx(), &alice, &start_request(), "agent")
        .await
        .expect("started")
    else {
        panic!("new")
    };
    f.published.take();
    let by_bob = end_as(
        &f,
        &bob,
        row.id,
        Ending::AdminEnded {
            reason: "no".into(),
        },
    )
    .await;
    assert!(matches!(by_bob, Err(OpError::Forbidden(_))), "{by_bob:?}");
    let no_reason = end_as(
        &f,
        &admin,
        row.id,
        Ending::AdminEnded { reason: " ".into() },
    )
    .await;
    assert!(
        matches!(&no_reason, Err(OpError::Invalid { fields, .. }) if fields.contains_key("reason"))
    );
    assert!(f.published.take().is_empty());

    let ended = end_as(
        &f,
        &admin,
        row.id,
        Ending::AdminEnded {
            reason: "Shift is over".into(),
        },
    )
    .await
    .expect("ended by the admin");
    assert_eq!(ended.end_reason.as_deref(), Some("admin_ended"));
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::SessionEnded { user_id, ended }]
            if *user_id == alice.id && ended.reason == "Shift is over" && ended.ended_by == Some(admin.id)),
        "{events:?}"
    );
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("SESSION_FORCE_ENDED")
    );
    let twice = end_as(
        &f,
        &admin,
        row.id,
        Ending::AdminEnded {
            reason: "again".into(),
        },
    )
    .await;
    assert!(matches!(twice, Err(OpError::Conflict(_))), "{twice:?}");
}

#[tokio::test]
async fn another_organizations_session_is_not_found() {
    not_found_elsewhere(Fixture::new().await).await;
}

#[tokio::test]
async fn another_organizations_session_is_not_found_on_a_sqlite_file() {
    not_found_elsewhere(Fixture::on_file().await).await;
}

async fn not_found_elsewhere(f: Fixture) {
    let alice = f.user("Alice", Role::Member).await;
    let Created::New(row) = sessions::start(&f.ctx(), &alice, &start_request(), "agent")
        .await
        .expect("started")
    else {
        panic!("new")
    };
    let otto = f.other_org_owner().await;
    let ended = sessions::end(
        &f.ctx(),
        Some(&otto),
        otto.org_id,
        row.id,
        Ending::AdminEnded {
            reason: "not mine".into(),
        },
        None,
        None,
    )
    .await;
    assert!(
        matches!(ended, Err(OpError::NotFound("Session"))),
        "{ended:?}"
    );
}

#[tokio::test]
async fn a_manual_entry_must_end_after_it_starts_and_is_announced_as_an_update() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let start = Utc::now() - Duration::hours(3);
    let backwards = ManualSessionRequest {
        ticket_id: None,
        start_time: start,
        end_time: start - Duration::minutes(5),
        note: None,
        client_id: None,
    };
    let refused = sessions::manual(&f.ctx(), &alice, &backwards).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("end_time")),
        "{refused:?}"
    );
    let fine = ManualSessionRequest {
        end_time: start + Duration::minutes(45),
        ..backwards
    };
    let Created::New(row) = sessions::manual(&f.ctx(), &alice, &fine)
        .await
        .expect("recorded")
    else {
        panic!("new")
    };
    assert_eq!(row.ended_at, Some(fine.end_time.timestamp_millis()));
    assert_eq!(f.published.kinds(), ["session_updated"]);
}
