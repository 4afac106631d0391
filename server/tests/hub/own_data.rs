//! The person's own data over HTTP (SPEC §18), on SQLite and PostgreSQL: deleting one's own
//! screenshot with its slot's time, `/api/me/data`, the ZIP export, erasure, and the retention
//! job with its clock moved forward.

use std::io::Read;
use std::time::Duration;

use crate::common::{self, TestHub};
use serde_json::{json, Value};
use shared::Role;

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

async fn upload(hub: &TestHub, token: &str, session: Option<i64>, ago_minutes: i64) -> i64 {
    let at = chrono::Utc::now() - chrono::Duration::minutes(ago_minutes);
    let mut query = format!("captured_at={}", urlencoding(&at.to_rfc3339()));
    if let Some(s) = session {
        query.push_str(&format!("&session_id={s}"));
    }
    let res = hub
        .http()
        .post(format!("{}/api/screenshots?{query}", hub.url))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(jpeg())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

fn urlencoding(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

async fn start_session(hub: &TestHub, token: &str, ago_minutes: i64) -> i64 {
    let at = chrono::Utc::now() - chrono::Duration::minutes(ago_minutes);
    let (status, body) = hub
        .call(
            "POST",
            "/api/sessions/start",
            Some(token),
            Some(json!({"started_at": at})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn bytes(hub: &TestHub, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let res = hub
        .http()
        .get(format!("{}{path}", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

fn unzip(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            file.read_to_end(&mut out).unwrap();
            (file.name().unwrap().to_string(), out)
        })
        .collect()
}

#[tokio::test]
async fn a_member_deletes_a_fresh_screenshot_and_the_slot_leaves_the_session_and_the_totals() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[("own@a.test", Role::Owner), ("ann@a.test", Role::Member)],
    )
    .await;
    let (owner, ann) = (hub.login("own@a.test").await, hub.login("ann@a.test").await);
    let (status, _) = hub
        .call(
            "PUT",
            "/api/policy",
            Some(&owner),
            Some(json!({"screenshot_delete_minutes": 5})),
        )
        .await;
    assert_eq!(status, 200);
    let session = start_session(&hub, &ann, 40).await;
    let fresh = upload(&hub, &ann, Some(session), 1).await;
    let old = upload(&hub, &ann, Some(session), 6).await;
    let mut tab = hub.tab(&owner).await;

    let (status, err) = hub
        .call(
            "DELETE",
            &format!("/api/screenshots/{old}"),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("5 minutes"));
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/screenshots/{fresh}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 404, "the owner cannot delete Ann's screenshot");
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/screenshots/{fresh}"),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let update = common::wait_for(&mut tab, "session_updated", 5, |m| {
        m["session"]["id"] == session
    })
    .await;
    let discarded = update["session"]["discarded_seconds"].as_i64().unwrap();
    assert!(
        (60..=600).contains(&discarded),
        "the slot's time is not counted: {discarded}"
    );
    let (status, _) = hub
        .call(
            "GET",
            &format!("/api/screenshots/{fresh}/image"),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, stopped) = hub
        .call(
            "POST",
            "/api/sessions/stop",
            Some(&ann),
            Some(json!({"session_id": session})),
        )
        .await;
    assert_eq!(status, 200, "{stopped}");
    let duration = stopped["duration_seconds"].as_i64().unwrap();
    assert!(
        (40 * 60 - 600..=40 * 60 - 60).contains(&duration),
        "{duration}"
    );
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let (status, worktime) = hub
        .call(
            "GET",
            &format!("/api/worktime?from={from}&to={to}"),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 200, "{worktime}");
    assert_eq!(
        worktime["users"][0]["worked_seconds"], duration,
        "the totals are the session without the slot"
    );
    let (_, me) = hub.call("GET", "/api/me/data", Some(&ann), None).await;
    assert!(me["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "SCREENSHOT_DELETED" && a["target_id"] == fresh));
}

#[tokio::test]
async fn my_data_lists_what_is_held_and_who_viewed_my_screenshots_and_not_others_data() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("lead@a.test", Role::Supervisor),
            ("ann@a.test", Role::Member),
            ("bob@a.test", Role::Member),
        ],
    )
    .await;
    let (_, users) = hub.org("Other", &[("eve@o.test", Role::Owner)]).await;
    let eve_id = users[0].id;
    let (lead, ann, bob) = (
        hub.login("lead@a.test").await,
        hub.login("ann@a.test").await,
        hub.login("bob@a.test").await,
    );
    let session = start_session(&hub, &ann, 20).await;
    let shot = upload(&hub, &ann, Some(session), 2).await;
    for _ in 0..2 {
        let (status, _, _) = bytes(&hub, &lead, &format!("/api/screenshots/{shot}/image")).await;
        assert_eq!(status, 200);
    }
    let (status, me) = hub.call("GET", "/api/me/data", Some(&ann), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["user"]["email"], "ann@a.test");
    assert_eq!(me["sessions"][0]["session"]["id"], session);
    assert_eq!(me["screenshots"][0]["screenshot"]["id"], shot);
    assert_eq!(me["screenshots"][0]["views_by_others"], 2);
    assert_eq!(me["capture"]["screenshots"], true);
    let views: Vec<&Value> = me["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "SCREENSHOT_VIEWED")
        .collect();
    assert_eq!(views.len(), 2);
    assert_eq!(views[0]["actor_name"], "lead");
    // Another member's data, or another organization's person: refused.
    let ann_id = me["user"]["id"].as_i64().unwrap();
    let (status, _) = hub
        .call(
            "GET",
            &format!("/api/me/data?user_id={ann_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = hub
        .call(
            "GET",
            &format!("/api/me/data?user_id={ann_id}"),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(
        status, 403,
        "a supervisor sees the org's time, not a person's page"
    );
    let owner = hub.login("own@a.test").await;
    let (status, _) = hub
        .call(
            "GET",
            &format!("/api/me/data?user_id={eve_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, of_ann) = hub
        .call(
            "GET",
            &format!("/api/me/data?user_id={ann_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        (status, &of_ann["user"]["email"]),
        (200, &json!("ann@a.test"))
    );
}

#[tokio::test]
async fn the_export_is_a_zip_of_my_data_only_and_an_admin_may_export_a_member() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("ann@a.test", Role::Member),
            ("bob@a.test", Role::Member),
        ],
    )
    .await;
    hub.org("Other", &[("eve@o.test", Role::Owner)]).await;
    let (owner, ann, bob, eve) = (
        hub.login("own@a.test").await,
        hub.login("ann@a.test").await,
        hub.login("bob@a.test").await,
        hub.login("eve@o.test").await,
    );
    for token in [&ann, &bob, &eve] {
        let s = start_session(&hub, token, 10).await;
        upload(&hub, token, Some(s), 1).await;
    }
    let (status, kind, body) = bytes(&hub, &ann, "/api/me/export").await;
    assert_eq!((status, kind.as_str()), (200, "application/zip"));
    let files = unzip(&body);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"sessions.json") && names.contains(&"audit.json"),
        "{names:?}"
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("screenshots/"))
            .count(),
        1
    );
    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        for stranger in ["bob@a.test", "eve@o.test"] {
            assert!(!text.contains(stranger), "{name} holds {stranger}'s data");
        }
    }
    let sessions: Value =
        serde_json::from_slice(&files.iter().find(|(n, _)| n == "sessions.json").unwrap().1)
            .unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    let bob_id = hub
        .store
        .find_user_by_email("bob@a.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, _, _) = bytes(&hub, &ann, &format!("/api/users/{bob_id}/export")).await;
    assert_eq!(status, 404, "a member does not export another member");
    let (status, _, _) = bytes(&hub, &eve, &format!("/api/users/{bob_id}/export")).await;
    assert_eq!(status, 404, "nor another organization");
    let (status, _, body) = bytes(&hub, &owner, &format!("/api/users/{bob_id}/export")).await;
    assert_eq!(status, 200);
    let profile = unzip(&body)
        .into_iter()
        .find(|(n, _)| n == "profile.json")
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(&profile).contains("bob@a.test"));
    let (_, audit) = hub
        .call("GET", "/api/audit?action=DATA_EXPORTED", Some(&owner), None)
        .await;
    assert_eq!(audit["items"][0]["target_id"], bob_id);
}

#[tokio::test]
async fn erasure_leaves_no_personal_trace_and_the_totals_under_erased_user() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("adm@a.test", Role::Admin),
            ("zed.quigley@a.test", Role::Member),
        ],
    )
    .await;
    let (owner, admin, zed) = (
        hub.login("own@a.test").await,
        hub.login("adm@a.test").await,
        hub.login("zed.quigley@a.test").await,
    );
    let zed_id = hub
        .store
        .find_user_by_email("zed.quigley@a.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, _) = hub
        .call(
            "PATCH",
            &format!("/api/users/{zed_id}"),
            Some(&owner),
            Some(json!({"name": "Zebulon Quigley", "game_name": "QuiggyTheGreat"})),
        )
        .await;
    assert_eq!(status, 200);
    let session = start_session(&hub, &zed, 30).await;
    upload(&hub, &zed, Some(session), 1).await;
    let (_, stopped) = hub
        .call(
            "POST",
            "/api/sessions/stop",
            Some(&zed),
            Some(json!({"session_id": session, "note": "Quigley notes"})),
        )
        .await;
    let duration = stopped["duration_seconds"].as_i64().unwrap();
    let data_dir = hub.config.data_dir.clone();

    let (status, _) = hub
        .call(
            "POST",
            &format!("/api/users/{zed_id}/erase"),
            Some(&admin),
            Some(json!({"confirm_email": "zed.quigley@a.test"})),
        )
        .await;
    assert_eq!(status, 403, "owners only");
    let (status, err) = hub
        .call(
            "POST",
            &format!("/api/users/{zed_id}/erase"),
            Some(&owner),
            Some(json!({"confirm_email": "zed@a.test"})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(err["error"]["fields"]["confirm_email"].is_string());
    let (status, erased) = hub
        .call(
            "POST",
            &format!("/api/users/{zed_id}/erase"),
            Some(&owner),
            Some(json!({"confirm_email": "zed.quigley@a.test"})),
        )
        .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["shown_as"], format!("erased user #{zed_id}"));
    // Signed out everywhere.
    let (status, _) = hub.call("GET", "/api/auth/me", Some(&zed), None).await;
    assert_eq!(status, 401);
    let (_, user) = hub
        .call("GET", &format!("/api/users/{zed_id}"), Some(&owner), None)
        .await;
    assert_eq!(user["name"], format!("erased user #{zed_id}"));
    assert_eq!(user["game_name"], Value::Null);
    // The time stays, under the placeholder.
    let (_, sessions) = hub
        .call(
            "GET",
            &format!("/api/sessions?user_id={zed_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(sessions["items"][0]["duration_seconds"], duration);
    assert_eq!(sessions["items"][0]["note"], Value::Null);
    assert_eq!(
        sessions["items"][0]["user_name"],
        format!("erased user #{zed_id}")
    );
    // No screenshot file of theirs is left under the data folder.
    let mut stack = vec![data_dir.join("screenshots")];
    while let Some(dir) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                assert!(
                    !e.path().ends_with(zed_id.to_string()) || !e.path().is_dir(),
                    "{} remains",
                    e.path().display()
                );
                if e.path().is_dir() {
                    stack.push(e.path());
                }
            }
        }
    }
    let (_, audit) = hub.call("GET", "/api/audit", Some(&owner), None).await;
    assert_eq!(audit["items"][0]["action"], "USER_ERASED");
    let words = [
        "zed.quigley@a.test",
        "Zebulon",
        "QuiggyTheGreat",
        "Quigley notes",
    ];
    let text = audit.to_string();
    for word in words {
        assert!(!text.contains(word), "the audit log still says {word}");
    }
    // Nor anywhere in the database: its files on SQLite, every text column on PostgreSQL.
    if common::on_postgres() {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type = 'text'",
        )
        .fetch_all(&pg_pool(&hub).await)
        .await
        .unwrap();
        let pool = pg_pool(&hub).await;
        for (table, column) in rows {
            for word in words {
                let (n,): (i64,) = sqlx::query_as(&format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" LIKE '%' || $1 || '%'"
                ))
                .bind(word)
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(n, 0, "{table}.{column} still holds {word}");
            }
        }
    } else {
        let db = hub.config.database_url().replace("sqlite://", "");
        for file in [db.clone(), format!("{db}-wal")] {
            let Ok(content) = std::fs::read(&file) else {
                continue;
            };
            for word in words {
                assert!(
                    !content.windows(word.len()).any(|w| w == word.as_bytes()),
                    "{file} still holds {word}"
                );
            }
        }
    }
}

async fn pg_pool(hub: &TestHub) -> sqlx::PgPool {
    sqlx::PgPool::connect(&hub.config.database_url())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_retention_job_deletes_old_screenshots_and_activity_once_its_clock_gets_there() {
    // The job's clock runs three days ahead; it passes every 300 ms.
    let hub = TestHub::start_with(|c| {
        c.retention_every_ms = 300;
        c.retention_clock_offset_ms = 3 * 86_400_000;
    })
    .await;
    hub.org(
        "Acme",
        &[("own@a.test", Role::Owner), ("ann@a.test", Role::Member)],
    )
    .await;
    let (owner, ann) = (hub.login("own@a.test").await, hub.login("ann@a.test").await);
    let session = start_session(&hub, &ann, 5).await;
    let shot = upload(&hub, &ann, Some(session), 1).await;
    // Kept while the policy keeps everything (0).
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (status, _, _) = bytes(&hub, &ann, &format!("/api/screenshots/{shot}/image")).await;
    assert_eq!(status, 200);
    assert!(hub
        .metrics()
        .await
        .contains("presence_hub_retention_deleted_total{kind=\"screenshots\"} 0"));
    let (status, _) = hub
        .call(
            "PUT",
            "/api/policy",
            Some(&owner),
            Some(json!({"screenshot_retention_days": 2})),
        )
        .await;
    assert_eq!(status, 200);
    // The image answers 404 as soon as the pass has deleted the rows; the pass counts what it
    // deleted only after it has removed the files and written the audit entry.
    let counted = "presence_hub_retention_deleted_total{kind=\"screenshots\"} 1";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, _) = bytes(&hub, &ann, &format!("/api/screenshots/{shot}/image")).await;
        let metrics = hub.metrics().await;
        if status == 404 && metrics.contains(counted) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never deleted and counted: the image answers {status}\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, audit) = hub
        .call(
            "GET",
            "/api/audit?action=RETENTION_DELETED",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(audit["items"][0]["details"]["screenshots"], 1);
    let mut stack = vec![hub.config.data_dir.join("screenshots")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            assert!(entry.path().is_dir(), "{} remains", entry.path().display());
            stack.push(entry.path());
        }
    }
}
