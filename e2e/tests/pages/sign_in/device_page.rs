//! The `/device` page in a real browser (SPEC §17): an agent asked to sign in without a
//! password; Alice opens the link it printed while signed out, signs in on `/login`, lands back
//! on `/device` with the code, sees which device asks, approves, and sees it confirmed; the
//! agent's next poll gets a device token of hers. Screenshots: `e2e/output/device-approve.png`
//! (the request) and `device-approved.png` (the confirmation).

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{BrowserTest, Hub, HubOptions, Page};
use serde_json::{json, Value};

const CLIENT: &str = "presence-agent on e2e-box, Debian GNU/Linux";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_person_approves_an_agents_code() {
    let test = BrowserTest::start("device-page", HubOptions::default(), &["alice"]).await;
    let outcome = scenario(&test.hub, test.page(0)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, alice: Page<'_>) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let auth = an_agent_asks_for_a_code(hub, &http).await?;
    let code = auth["user_code"].as_str().context("user_code")?.to_string();
    let link = auth["verification_uri_complete"]
        .as_str()
        .context("verification_uri_complete")?
        .to_string();
    the_link_leads_through_the_login_back_to_the_code(hub, alice, &link).await?;
    alice_sees_who_asks_and_approves(alice, &code).await?;
    the_agent_gets_alices_token(hub, &http, &auth).await
}

/// What `presence-agent login --server URL` does first.
async fn an_agent_asks_for_a_code(hub: &Hub, http: &reqwest::Client) -> anyhow::Result<Value> {
    let res = http
        .post(hub.http_url("/api/auth/device"))
        .json(&json!({ "client_name": CLIENT }))
        .send()
        .await?;
    ensure!(
        res.status() == 200,
        "POST /api/auth/device: {}",
        res.status()
    );
    Ok(res.json().await?)
}

/// Signed out, the printed link shows the login form; signing in there comes back to
/// `/device` with the code.
async fn the_link_leads_through_the_login_back_to_the_code(
    hub: &Hub,
    alice: Page<'_>,
    link: &str,
) -> anyhow::Result<()> {
    let path = link
        .strip_prefix(&hub.url)
        .with_context(|| format!("{link} is not on {}", hub.url))?;
    alice.visit(path).await?;
    alice.wait_path("/login", 15).await?;
    alice
        .type_into("input[name=email]", "alice@demo.test")
        .await?;
    alice
        .type_into("input[name=password]", DEMO_PASSWORD)
        .await?;
    alice
        .click("form[action='/login'] button[type=submit]")
        .await?;
    alice.wait_path("/device", 15).await?;
    Ok(())
}

async fn alice_sees_who_asks_and_approves(alice: Page<'_>, code: &str) -> anyhow::Result<()> {
    alice
        .wait_for(
            "the request hydrated",
            15,
            "const e = document.querySelector('#device-request'); return !!e && e.dataset.hydrated === 'true';",
            vec![],
        )
        .await?;
    let client = alice.expect_text("#device-client").await?;
    ensure!(client == CLIENT, "the device's name: {client:?}");
    let shown = alice.expect_text("#device-user-code").await?;
    ensure!(shown == code, "the code {shown:?}, not {code:?}");
    let address = alice.expect_text("#device-address").await?;
    ensure!(address == "127.0.0.1", "from where: {address:?}");
    alice.screenshot("device-approve.png").await?;

    alice.click("#device-approve").await?;
    alice.wait_text("#device-done", "Approved", 10).await?;
    let done = alice.expect_text("#device-done").await?;
    ensure!(
        done.contains(CLIENT),
        "the confirmation names the device: {done:?}"
    );
    ensure!(
        alice.text("#device-request").await?.is_none(),
        "the buttons are gone once answered"
    );
    alice.screenshot("device-approved.png").await?;
    alice.no_errors().await
}

/// The agent's next poll: a device token of Alice's, once.
async fn the_agent_gets_alices_token(
    hub: &Hub,
    http: &reqwest::Client,
    auth: &Value,
) -> anyhow::Result<()> {
    let poll = || {
        http.post(hub.http_url("/api/auth/device/token"))
            .json(&json!({ "device_code": auth["device_code"] }))
            .send()
    };
    let res = poll().await?;
    ensure!(
        res.status() == 200,
        "the poll after approval: {}",
        res.status()
    );
    let login: Value = res.json().await?;
    ensure!(
        login["user"]["email"] == "alice@demo.test",
        "the token is Alice's: {login}"
    );
    let again: Value = poll().await?.json().await?;
    ensure!(
        again["error"]["code"] == "expired_token",
        "a code gives one token: {again}"
    );
    Ok(())
}
