//! `/me` in headless Chromium against the real hub (demo data), as a member and as the owner:
//! Alice sees what is held about her — her sessions with activity per slot and apps, her
//! screenshots with Lena's view of one, the audit entry of that view — and what is captured
//! now, which follows a policy change at once. A new screenshot shows up with a delete button
//! while the policy allows it; deleting it takes it (and its 10 minutes) away without a
//! reload. Another member's page is refused. The owner erases Bob after typing his e-mail.
//! Screenshots: `e2e/output/page-me-*.png`.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Page};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_and_controls_her_data_and_the_owner_erases_a_person() {
    let test = BrowserTest::start("me-page", e2e::HubOptions::default(), &["alice", "owner"]).await;
    let outcome = scenario(&test, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

fn desktop_jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(640, 400, |x, y| {
        let ink = (y % 20 < 8) && (x % 9 < 5) && x > 40 && x < 600;
        let v = if ink { 40 } else { 230 };
        image::Rgb([v, v, v.saturating_add(10)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&picture)
        .expect("a JPEG");
    jpeg
}

async fn scenario(test: &BrowserTest, alice: Page<'_>, owner: Page<'_>) -> anyhow::Result<()> {
    let url = &test.hub.url;
    let owner_api = ApiSession::login(url, "owner@demo.test", DEMO_PASSWORD).await?;
    let alice_api = ApiSession::login(url, "alice@demo.test", DEMO_PASSWORD).await?;

    alice.sign_in("alice@demo.test", DEMO_PASSWORD).await?;
    alice.open("/me").await?;
    alice.no_errors().await?;
    alice.wait_live().await?;
    alice
        .wait_text("#me-heading", "What is held about you", 5)
        .await?;
    // The demo's history: sessions with activity per slot and apps, three screenshots, one of
    // them viewed by Lena Lead, whose view is in the audit list.
    ensure!(
        alice.count("#my-sessions tbody tr").await? >= 2,
        "Alice's sessions"
    );
    ensure!(alice.count(".slot-chip").await? >= 10, "activity per slot");
    alice.wait_text("#my-sessions", "code", 5).await?;
    alice.wait_count("#my-screenshots figure", 3, 5).await?;
    alice
        .wait_text("#my-screenshots", "Viewed once by someone else", 5)
        .await?;
    alice
        .wait_text(
            "#my-audit tr[data-action=SCREENSHOT_VIEWED]",
            "Lena Lead",
            5,
        )
        .await?;
    alice
        .wait_text("#capture", "Deleting your screenshot", 5)
        .await?;
    ensure!(
        alice.count(".delete-shot").await? == 0,
        "the policy allows no deleting yet"
    );

    // The owner lets members delete a screenshot for 10 minutes: the page follows at once.
    alice.mark().await?;
    owner_api
        .call(
            url,
            Method::PUT,
            "/api/policy",
            &json!({"screenshot_delete_minutes": 10, "screenshot_blur": true}),
        )
        .await?;
    alice
        .wait_text("#capture", "within 10 min of the capture", 10)
        .await?;
    alice
        .wait_text("#capture", "blurred on your computer", 5)
        .await?;

    // A fresh screenshot, then a session start (pushed): the page reloads its data.
    let res = reqwest::Client::new()
        .post(format!("{url}/api/screenshots"))
        .bearer_auth(&alice_api.token)
        .header("content-type", "image/jpeg")
        .body(desktop_jpeg())
        .send()
        .await?;
    ensure!(res.status() == 201, "upload: {}", res.status());
    let shot: serde_json::Value = res.json().await?;
    let shot_id = shot["id"].as_i64().context("the screenshot's id")?;
    alice_api
        .call(url, Method::POST, "/api/sessions/start", &json!({}))
        .await?;
    alice.wait_count("#my-screenshots figure", 4, 10).await?;
    let button = format!("figure[data-screenshot-id='{shot_id}'] .delete-shot");
    alice.wait_shown(&button, 5).await?;
    alice.screenshots("me", PhoneShots::Light).await?;
    alice
        .js(
            "document.querySelector('#my-shots-heading').scrollIntoView();",
            vec![],
        )
        .await?;
    alice.screenshot("page-me-screenshots.png").await?;
    alice.click(&button).await?;
    alice.wait_text("#me-notice", "is deleted", 10).await?;
    alice.wait_count("#my-screenshots figure", 3, 10).await?;
    alice.expect_same_page("deleting a screenshot").await?;
    let gone = reqwest::Client::new()
        .get(format!("{url}/api/screenshots/{shot_id}/image"))
        .bearer_auth(&alice_api.token)
        .send()
        .await?;
    ensure!(gone.status() == 404, "the file is gone: {}", gone.status());

    // Someone else's page is not hers to see.
    let users = owner_api.get_json(url, "/api/users?per_page=100").await?;
    let bob_id = users["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["email"] == "bob@demo.test"))
        .and_then(|u| u["id"].as_i64())
        .context("Bob's id")?;
    let refused = alice.status_of(&format!("/me?user_id={bob_id}")).await?;
    ensure!(refused == 403, "Alice asking for Bob's page: {refused}");
    let refused = alice
        .status_of(&format!("/api/me/data?user_id={bob_id}"))
        .await?;
    ensure!(refused == 403, "Alice asking for Bob's data: {refused}");

    // The owner erases Bob: the button waits for his e-mail.
    owner.sign_in("owner@demo.test", DEMO_PASSWORD).await?;
    owner.open(&format!("/me?user_id={bob_id}")).await?;
    owner.no_errors().await?;
    owner
        .wait_text("#me-heading", "What is held about Bob Baker", 5)
        .await?;
    let disabled = "return document.querySelector('#erase-submit').disabled;";
    ensure!(
        owner.js(disabled, vec![]).await? == json!(true),
        "disabled at first"
    );
    owner.type_into("#erase-email", "bob@demo.tes").await?;
    ensure!(
        owner.js(disabled, vec![]).await? == json!(true),
        "disabled on a typo"
    );
    owner.type_into("#erase-email", "bob@demo.test").await?;
    ensure!(
        owner.js(disabled, vec![]).await? == json!(false),
        "enabled once typed"
    );
    owner.screenshot("page-me-erase.png").await?;
    owner.click("#erase-submit").await?;
    owner
        .wait_text("#me-notice", &format!("erased user #{bob_id}"), 10)
        .await?;
    let bob = owner_api
        .get_json(url, &format!("/api/users/{bob_id}"))
        .await?;
    ensure!(
        bob["name"] == format!("erased user #{bob_id}") && bob["active"] == false,
        "Bob after the erasure: {bob}"
    );
    ensure!(
        ApiSession::login(url, "bob@demo.test", DEMO_PASSWORD)
            .await
            .is_err(),
        "Bob can no longer sign in"
    );
    Ok(())
}
