//! Screenshot upload and viewing: stored as files with their metadata, scoped by role and org.

use crate::common;

use common::TestHub;
use serde_json::{json, Value};
use shared::Role;

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

#[tokio::test]
async fn an_uploaded_screenshot_is_stored_listed_and_served_to_the_right_people() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("lead@a.test", Role::Supervisor),
            ("ann@a.test", Role::Member),
            ("bob@a.test", Role::Member),
            ("own@a.test", Role::Owner),
        ],
    )
    .await;
    hub.org("Other", &[("eve@o.test", Role::Owner)]).await;
    let (lead, ann, bob, eve) = (
        hub.login("lead@a.test").await,
        hub.login("ann@a.test").await,
        hub.login("bob@a.test").await,
        hub.login("eve@o.test").await,
    );
    let http = hub.http();
    let session: Value = http
        .post(format!("{}/api/sessions/start", hub.url))
        .bearer_auth(&ann)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = session["id"].as_i64().unwrap();
    let upload = |token: &str, query: String, body: Vec<u8>| {
        http.post(format!("{}/api/screenshots?{query}", hub.url))
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(body)
            .send()
    };
    let res = upload(
        &ann,
        format!("session_id={sid}&client_id=shot-1"),
        jpeg(320, 200),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let shot: Value = res.json().await.unwrap();
    assert_eq!(
        (shot["width"].as_i64(), shot["height"].as_i64()),
        (Some(320), Some(200))
    );
    assert_eq!(shot["session_id"], sid);
    // Replaying the same upload does not store it twice.
    let again = upload(
        &ann,
        format!("session_id={sid}&client_id=shot-1"),
        jpeg(320, 200),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], shot["id"]);
    let files: Vec<_> = walk(&hub.config.data_dir.join("screenshots"));
    assert_eq!(files.len(), 1, "one file under the data folder: {files:?}");

    // Not a JPEG, wrong type, someone else's session.
    assert_eq!(
        upload(&ann, String::new(), b"not an image".to_vec())
            .await
            .unwrap()
            .status(),
        422
    );
    let png = http
        .post(format!("{}/api/screenshots", hub.url))
        .bearer_auth(&ann)
        .header("content-type", "image/png")
        .body(jpeg(8, 8))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 415);
    assert_eq!(
        upload(&bob, format!("session_id={sid}"), jpeg(8, 8))
            .await
            .unwrap()
            .status(),
        404
    );

    let list = |token: String, query: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/screenshots{query}", hub.url);
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let all: Value = list(lead.clone(), "").await.json().await.unwrap();
    assert_eq!(all["total"], 1);
    assert_eq!(all["items"][0]["user_name"], "ann");
    assert_eq!(
        list(bob.clone(), "").await.json::<Value>().await.unwrap()["total"],
        0,
        "a member sees only their own"
    );
    assert_eq!(list(bob.clone(), "?user_id=0").await.status(), 403);
    assert_eq!(
        list(eve.clone(), "").await.json::<Value>().await.unwrap()["total"],
        0,
        "another organization sees nothing"
    );
    // The /screenshots page, server-rendered with the same scoping.
    let page = |token: String, path: &'static str| {
        let http = http.clone();
        let url = format!("{}{path}", hub.url);
        async move {
            let res = http
                .get(url)
                .header("cookie", format!("ph_session={token}"))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let marker = format!("data-screenshot-id=\"{}\"", shot["id"]);
    let img_src = format!("src=\"{}\"", shot["url"].as_str().unwrap());
    let (status, html) = page(lead.clone(), "/screenshots").await;
    assert_eq!(status, 200);
    assert!(html.contains(&marker) && html.contains(&img_src), "{html}");
    assert!(
        html.contains(&format!("session #{sid}")),
        "grouped by session"
    );
    assert!(
        html.contains("id=\"shots-user\""),
        "supervisors get a user filter"
    );
    let (_, filtered) = page(lead.clone(), "/screenshots?session_id=999999").await;
    assert!(!filtered.contains(&marker), "the session filter applies");
    let (_, own) = page(ann.clone(), "/screenshots").await;
    assert!(own.contains(&marker), "ann sees her own");
    assert!(
        !own.contains("id=\"shots-user\""),
        "members get no user filter"
    );
    let (status, others) = page(bob.clone(), "/screenshots").await;
    assert_eq!(status, 200);
    assert!(!others.contains(&marker), "bob does not see ann's");
    let (_, foreign) = page(eve.clone(), "/screenshots").await;
    assert!(
        !foreign.contains(&marker),
        "another organization sees nothing"
    );

    let url = format!("{}{}", hub.url, shot["url"].as_str().unwrap());
    let img = http.get(&url).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    // Someone else's view is audited each time, so the browser may not keep it.
    assert_eq!(img.headers()["cache-control"], "private, no-store");
    let own_view = http.get(&url).bearer_auth(&ann).send().await.unwrap();
    assert_eq!(own_view.status(), 200);
    assert_eq!(own_view.headers()["cache-control"], "private, max-age=3600");
    assert_eq!(
        img.bytes().await.unwrap().len() as i64,
        shot["bytes"].as_i64().unwrap()
    );
    assert_eq!(
        http.get(&url)
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.get(&url)
            .bearer_auth(&eve)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // One entry: the lead's view (not Ann's own, not the refused ones).
    let owner = hub.login("own@a.test").await;
    let audit: Value = http
        .get(format!("{}/api/audit?action=SCREENSHOT_VIEWED", hub.url))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["total"], 1, "{audit}");
    let entry = &audit["items"][0];
    assert_eq!(entry["actor_name"], "lead");
    assert_eq!(entry["target_type"], "screenshot");
    assert_eq!(entry["target_id"], shot["id"]);
    assert_eq!(entry["details"]["user_name"], "ann");
}

#[tokio::test]
async fn uploads_larger_than_the_policy_allows_are_refused() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("own@a.test", Role::Owner)]).await;
    let owner = hub.login("own@a.test").await;
    let http = hub.http();
    let res = http
        .put(format!("{}/api/policy", hub.url))
        .bearer_auth(&owner)
        .json(&json!({"max_screenshot_size_mb": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut big = jpeg(16, 16);
    big.resize(2 * 1024 * 1024, 0);
    let res = http
        .post(format!("{}/api/screenshots", hub.url))
        .bearer_auth(&owner)
        .header("content-type", "image/jpeg")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
