//! Storing uploaded screenshots.

use chrono::{Duration, Utc};

use super::{actor, Fixture};
use crate::ops::screenshots::{open, store, Stored, Upload};
use crate::ops::{sessions, OpError};
use crate::store::Created;
use shared::api::StartSessionRequest;
use shared::Role;

const JPEG: &[u8] = include_bytes!("../../../fuzz/seeds/screenshot_upload/red.jpg");

fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn a_jpeg_is_stored_once_even_when_its_upload_is_replayed() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = actor(&f.user("Alice", Role::Member).await);
    let upload = Upload {
        client_id: Some("shot-1"),
        ..Upload::default()
    };
    let (shot, stored) = store(&f.ctx(), data.path(), &alice, upload.clone(), JPEG)
        .await
        .expect("stored");
    assert_eq!(stored, Stored::New);
    assert!(shot.width > 0 && shot.height > 0);
    assert_eq!(files_under(data.path()), 1);
    let (again, stored) = store(&f.ctx(), data.path(), &alice, upload, JPEG)
        .await
        .expect("answered again");
    assert_eq!((again.id, stored), (shot.id, Stored::Replay));
    assert_eq!(files_under(data.path()), 1, "no second file");
}

#[tokio::test]
async fn not_a_jpeg_a_strangers_session_or_a_future_time_is_refused_and_leaves_no_file() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let bob = actor(&f.user("Bob", Role::Member).await);
    let png = store(
        &f.ctx(),
        data.path(),
        &bob,
        Upload::default(),
        b"\x89PNG\r\n",
    )
    .await;
    assert!(
        matches!(&png, Err(OpError::Invalid { fields, .. }) if fields.contains_key("body")),
        "{png:?}"
    );

    let start = StartSessionRequest {
        ticket_id: None,
        note: None,
        client_id: None,
        started_at: None,
    };
    let Created::New(alices) = sessions::start(&f.ctx(), &alice, &start, "agent")
        .await
        .expect("started")
    else {
        panic!("new")
    };
    let into_hers = Upload {
        session_id: Some(alices.id),
        ..Upload::default()
    };
    let refused = store(&f.ctx(), data.path(), &bob, into_hers, JPEG).await;
    assert!(
        matches!(refused, Err(OpError::NotFound("Session"))),
        "{refused:?}"
    );

    let ahead = Upload {
        captured_at: Some((Utc::now() + Duration::hours(1)).timestamp_millis()),
        ..Upload::default()
    };
    let refused = store(&f.ctx(), data.path(), &bob, ahead, JPEG).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("captured_at")),
        "{refused:?}"
    );
    assert_eq!(files_under(data.path()), 0);
}

#[tokio::test]
async fn a_view_by_someone_else_is_audited_and_the_owners_own_is_not() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let stranger = f.other_org_owner().await;
    let (shot, _) = store(
        &f.ctx(),
        data.path(),
        &actor(&alice),
        Upload::default(),
        JPEG,
    )
    .await
    .expect("stored");
    let viewed = || async {
        f.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "SCREENSHOT_VIEWED")
            .count()
    };

    open(&f.ctx(), &alice, shot.id, None)
        .await
        .expect("her own");
    assert_eq!(viewed().await, 0, "her own view is not recorded");
    for _ in 0..2 {
        open(&f.ctx(), &lead, shot.id, None)
            .await
            .expect("the lead's view");
    }
    assert_eq!(viewed().await, 2, "every view by someone else");
    // Those who may not see it find nothing, and nothing is recorded.
    for nobody in [&bob, &stranger] {
        let refused = open(&f.ctx(), nobody, shot.id, None).await;
        assert!(
            matches!(refused, Err(OpError::NotFound("Screenshot"))),
            "{refused:?}"
        );
    }
    assert_eq!(viewed().await, 2);
    let (entries, _) = f
        .store
        .list_audit(f.org_id(), Some("SCREENSHOT_VIEWED"), 1, 10)
        .await
        .expect("the audit log");
    assert_eq!(entries[0].actor_id, Some(lead.id));
    assert_eq!(entries[0].target_id, Some(shot.id));
    assert_eq!(entries[0].details["user_id"], alice.id);
}
