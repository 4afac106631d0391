//! The person's own data: deleting one's screenshot (and its slot's time), export, erasure
//! and retention.

use std::io::Read;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use super::{actor, Fixture};
use crate::domain::own_data::slot_of;
use crate::domain::sessions::Ending;
use crate::ops::own_data::{apply_retention, delete_own_screenshot, erase, export_zip};
use crate::ops::screenshots::{store, Upload};
use crate::ops::{policy, sessions, OpError};
use crate::store::{now_ms, Created, SessionRow, UserRow};
use hub_core::records::{AppWrite, SlotWrite};
use shared::api::StartSessionRequest;
use shared::Role;

const JPEG: &[u8] = include_bytes!("../../../fuzz/seeds/screenshot_upload/red.jpg");
const MIN: i64 = 60_000;

async fn set_policy(f: &Fixture, patch: Value) {
    policy::update(
        &f.ctx(),
        &actor(&f.owner),
        patch.as_object().expect("an object"),
    )
    .await
    .expect("the policy");
}

/// A session of `who` started `minutes_ago` and still running.
async fn running(f: &Fixture, who: &UserRow, minutes_ago: i64) -> SessionRow {
    let req = StartSessionRequest {
        started_at: Some(Utc::now() - Duration::minutes(minutes_ago)),
        ..StartSessionRequest::default()
    };
    match sessions::start(&f.ctx(), who, &req, "agent").await {
        Ok(Created::New(row) | Created::Existing(row)) => row,
        Err(e) => panic!("a session: {e}"),
    }
}

async fn screenshot(
    f: &Fixture,
    data: &std::path::Path,
    who: &UserRow,
    session: Option<i64>,
    captured_at: i64,
) -> i64 {
    let upload = Upload {
        session_id: session,
        captured_at: Some(captured_at),
        client_id: None,
    };
    store(&f.ctx(), data, &actor(who), upload, JPEG)
        .await
        .expect("a screenshot")
        .0
        .id
}

async fn stop(f: &Fixture, who: &UserRow, id: i64) -> SessionRow {
    sessions::end(
        &f.ctx(),
        Some(who),
        f.org_id(),
        id,
        Ending::Stopped { note: None },
        None,
        None,
    )
    .await
    .expect("stopped")
}

#[tokio::test]
async fn a_member_deletes_their_screenshot_inside_the_window_and_its_slot_stops_counting() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    set_policy(&f, json!({"screenshot_delete_minutes": 10})).await;
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let lead = f.user("Lead", Role::Supervisor).await;
    let session = running(&f, &alice, 45).await;
    let now = now_ms();
    let fresh = screenshot(&f, data.path(), &alice, Some(session.id), now - MIN).await;
    let old = screenshot(&f, data.path(), &alice, Some(session.id), now - 11 * MIN).await;
    f.published.take();

    // Nobody else deletes it: to them it does not exist.
    for other in [&bob, &lead, &f.owner] {
        let refused = delete_own_screenshot(&f.ctx(), other, fresh, None).await;
        assert!(matches!(refused, Err(OpError::NotFound(_))), "{refused:?}");
    }
    // Past the window: 409, and nothing changes.
    let late = delete_own_screenshot(&f.ctx(), &alice, old, None).await;
    assert!(
        matches!(&late, Err(OpError::Conflict(m)) if m.contains("10 minutes")),
        "{late:?}"
    );
    assert!(f
        .store
        .get_screenshot(f.org_id(), old)
        .await
        .unwrap()
        .is_some());
    assert!(f.published.take().is_empty());

    delete_own_screenshot(&f.ctx(), &alice, fresh, None)
        .await
        .expect("deleted");
    assert!(f
        .store
        .get_screenshot(f.org_id(), fresh)
        .await
        .unwrap()
        .is_none());
    assert_eq!(f.published.kinds(), vec!["session_updated"]);
    assert_eq!(
        std::fs::read_dir(
            data.path()
                .join(format!("screenshots/{}/{}", f.org_id(), alice.id))
        )
        .unwrap()
        .count(),
        1,
        "the deleted screenshot's file is gone, the other stays"
    );
    let (slot_start, slot_end) = slot_of(now - MIN);
    let ended = stop(&f, &alice, session.id).await;
    let ended_at = ended.ended_at.expect("ended");
    let whole = (ended_at - session.started_at) / 1000;
    let slot_in_session = (slot_end.min(ended_at) - slot_start.max(session.started_at)) / 1000;
    assert_eq!(
        ended.duration_seconds,
        Some(whole - slot_in_session),
        "the slot's time left the session's duration"
    );
    // And every total: the working-time figures are the sum of the sessions.
    let (from, to) = (session.started_at - 86_400_000, ended_at + 86_400_000);
    let worked = f
        .store
        .worked_between(f.org_id(), from, to, Some(alice.id), None)
        .await
        .unwrap();
    let tally = hub_core::domain::tally::Worked {
        started_ms: worked[0].started_at,
        ended_ms: worked[0].ended_at.unwrap(),
        discarded: worked[0].discarded.clone(),
        duration_seconds: None,
    };
    assert_eq!(
        tally.ms_within(from, to),
        (ended_at - session.started_at)
            - (slot_end.min(ended_at) - slot_start.max(session.started_at)),
        "the reports count the session without the slot"
    );
    let about_alice = f.store.audit_about(f.org_id(), alice.id, 10).await.unwrap();
    assert!(about_alice
        .iter()
        .any(|a| a.action == "SCREENSHOT_DELETED" && a.target_id == Some(fresh)));
}

#[tokio::test]
async fn deleting_is_refused_when_the_policy_does_not_allow_it() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let shot = screenshot(&f, data.path(), &alice, None, now_ms()).await;
    let refused = delete_own_screenshot(&f.ctx(), &alice, shot, None).await;
    assert!(
        matches!(&refused, Err(OpError::Conflict(m)) if m.contains("does not let members")),
        "{refused:?}"
    );
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("an entry");
            let mut body = Vec::new();
            file.read_to_end(&mut body).expect("its bytes");
            (file.name().expect("a name").to_string(), body)
        })
        .collect()
}

#[tokio::test]
async fn an_export_holds_the_persons_data_and_never_anothers() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let admin = f.user("Ada", Role::Admin).await;
    let otto = f.other_org_owner().await;
    for who in [&alice, &bob] {
        let s = running(&f, who, 30).await;
        screenshot(&f, data.path(), who, Some(s.id), now_ms() - MIN).await;
        f.store
            .write_activity(
                &[SlotWrite {
                    session_id: s.id,
                    user_id: who.id,
                    slot_start: slot_of(now_ms()).0,
                    counts: Default::default(),
                }],
                &[AppWrite {
                    session_id: s.id,
                    user_id: who.id,
                    app: format!("editor-of-{}", who.name),
                    active_ms: 60_000,
                    last_title: Some(format!("notes of {}", who.name)),
                }],
            )
            .await
            .unwrap();
    }
    let (subject, zip) = export_zip(&f.ctx(), &alice, alice.id, None)
        .await
        .expect("an export");
    assert_eq!(subject.id, alice.id);
    let files = unzip(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "manifest.json",
        "profile.json",
        "sessions.json",
        "activity_slots.json",
        "focused_apps.json",
        "idle_spans.json",
        "removed_slots.json",
        "screenshots.json",
        "absences.json",
        "game_server_sessions.json",
        "devices.json",
        "audit.json",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let shots: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("screenshots/"))
        .collect();
    assert_eq!(shots.len(), 1, "{names:?}");
    let jpeg = &files.iter().find(|(n, _)| n == shots[0]).unwrap().1;
    assert_eq!(jpeg.as_slice(), JPEG);
    let json = |name: &str| -> Value {
        serde_json::from_slice(&files.iter().find(|(n, _)| n == name).unwrap().1).unwrap()
    };
    assert_eq!(json("profile.json")[0]["email"], "alice@test.example");
    assert_eq!(json("focused_apps.json")[0]["app"], "editor-of-Alice");
    assert_eq!(json("screenshots.json")[0]["file"], shots[0]);
    assert_eq!(json("manifest.json")["user_id"], alice.id);
    for (name, body) in &files {
        let text = String::from_utf8_lossy(body);
        assert!(
            !text.contains("bob@test.example") && !text.contains("editor-of-Bob"),
            "{name} holds Bob's data"
        );
    }

    // Someone else's export: admins and owners only, audited; other organizations: not found.
    let refused = export_zip(&f.ctx(), &bob, alice.id, None).await;
    assert!(matches!(refused, Err(OpError::NotFound(_))), "{refused:?}");
    let foreign = export_zip(&f.ctx(), &otto, alice.id, None).await;
    assert!(matches!(foreign, Err(OpError::NotFound(_))), "{foreign:?}");
    let (_, by_admin) = export_zip(&f.ctx(), &admin, bob.id, None).await.unwrap();
    let by_admin = unzip(&by_admin);
    let bob_profile = &by_admin
        .iter()
        .find(|(n, _)| n == "profile.json")
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(bob_profile).contains("bob@test.example"));
    let about_bob = f.store.audit_about(f.org_id(), bob.id, 10).await.unwrap();
    assert_eq!(about_bob[0].action, "DATA_EXPORTED");
    assert_eq!(about_bob[0].actor_id, Some(admin.id));
}

#[tokio::test]
async fn erasure_removes_the_person_and_keeps_their_time_anonymously() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let admin = f.user("Ada", Role::Admin).await;
    let s = running(&f, &alice, 30).await;
    screenshot(&f, data.path(), &alice, Some(s.id), now_ms() - MIN).await;
    f.store
        .write_activity(
            &[SlotWrite {
                session_id: s.id,
                user_id: alice.id,
                slot_start: slot_of(now_ms()).0,
                counts: Default::default(),
            }],
            &[AppWrite {
                session_id: s.id,
                user_id: alice.id,
                app: "editor".into(),
                active_ms: 60_000,
                last_title: Some("Alice's diary".into()),
            }],
        )
        .await
        .unwrap();
    let ended = stop(&f, &alice, s.id).await;

    let by_admin = erase(
        &f.ctx(),
        data.path(),
        &admin,
        alice.id,
        "alice@test.example",
        None,
    )
    .await;
    assert!(
        matches!(by_admin, Err(OpError::Forbidden(_))),
        "{by_admin:?}"
    );
    let typo = erase(
        &f.ctx(),
        data.path(),
        &f.owner,
        alice.id,
        "alice@test.exampl",
        None,
    )
    .await;
    assert!(matches!(typo, Err(OpError::Invalid { .. })), "{typo:?}");
    let own = erase(
        &f.ctx(),
        data.path(),
        &f.owner,
        f.owner.id,
        "owner@test.example",
        None,
    )
    .await;
    assert!(matches!(own, Err(OpError::Conflict(_))), "{own:?}");
    f.published.take();

    let shown_as = erase(
        &f.ctx(),
        data.path(),
        &f.owner,
        alice.id,
        " Alice@Test.Example ",
        None,
    )
    .await
    .expect("erased");
    assert_eq!(shown_as, format!("erased user #{}", alice.id));
    assert_eq!(f.published.kinds(), vec!["member_changed"]);
    let user = f
        .store
        .get_user(f.org_id(), alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name, shown_as);
    assert!(!user.active);
    assert!(f
        .store
        .find_user_by_email("alice@test.example")
        .await
        .unwrap()
        .is_none());
    assert_eq!(f.store.count_activity_rows(alice.id).await.unwrap(), (0, 0));
    assert!(f
        .store
        .screenshot_files_of(f.org_id(), alice.id)
        .await
        .unwrap()
        .is_empty());
    assert!(!data
        .path()
        .join(format!("screenshots/{}/{}", f.org_id(), alice.id))
        .exists());
    let kept = f
        .store
        .get_session(f.org_id(), s.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.duration_seconds, ended.duration_seconds,
        "the time stays"
    );
    let (audit, _) = f.store.list_audit(f.org_id(), None, 1, 100).await.unwrap();
    assert_eq!(audit[0].action, "USER_ERASED");
    let all = serde_json::to_string(&audit).unwrap();
    assert!(!all.contains("alice@test.example"), "{all}");
    let again = erase(&f.ctx(), data.path(), &f.owner, alice.id, &user.email, None).await;
    assert!(matches!(again, Err(OpError::Store(_))), "{again:?}");
}

#[tokio::test]
async fn retention_deletes_what_is_older_than_the_policy_keeps_once_the_clock_gets_there() {
    let f = Fixture::new().await;
    let data = tempfile::tempdir().expect("a folder");
    let alice = f.user("Alice", Role::Member).await;
    let now = now_ms();
    let day = 86_400_000;
    let old = screenshot(&f, data.path(), &alice, None, now - 3 * day).await;
    let new = screenshot(&f, data.path(), &alice, None, now - MIN).await;
    // Kept by default.
    assert_eq!(
        apply_retention(&f.ctx(), now).await.unwrap(),
        Default::default()
    );
    set_policy(
        &f,
        json!({"screenshot_retention_days": 2, "activity_retention_days": 1}),
    )
    .await;
    let report = apply_retention(&f.ctx(), now).await.unwrap();
    assert_eq!(report.screenshots, 1);
    assert!(f
        .store
        .get_screenshot(f.org_id(), old)
        .await
        .unwrap()
        .is_none());
    assert!(f
        .store
        .get_screenshot(f.org_id(), new)
        .await
        .unwrap()
        .is_some());
    let (audit, _) = f
        .store
        .list_audit(f.org_id(), Some("RETENTION_DELETED"), 1, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].details["screenshots"], 1);
    // Two days and a bit later the other one goes too, its file with it.
    let later = apply_retention(&f.ctx(), now + 2 * day + MIN)
        .await
        .unwrap();
    assert_eq!(later.screenshots, 1);
    assert_eq!(
        std::fs::read_dir(
            data.path()
                .join(format!("screenshots/{}/{}", f.org_id(), alice.id))
        )
        .unwrap()
        .count(),
        0
    );
}
