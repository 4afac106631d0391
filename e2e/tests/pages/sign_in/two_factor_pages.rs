//! Two-factor sign-in in real browsers against the real (demo) hub, as people meet it: a
//! member sets it up on `/account` (the QR code and the key; the code computed here from the
//! key shown, as an authenticator app would), sees the ten recovery codes once, signs out,
//! signs in at `/login` with the password and then the code, and lands on `/`. An admin then
//! resets it from `/users`, and the member's next sign-in asks for the password only.
//! Screenshots: `e2e/output/account-2fa.png` (the QR code), `login-2fa.png` (the code form).
//!
//! `scenario` lists the steps in order; each step is one thing a user does or sees, and they
//! share one hub, so a step starts where the one before it left the pages and the data.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use totp_rs::{Algorithm, Secret, TOTP};

const MEMBER: &str = "bob@demo.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_turns_on_two_factor_and_signs_in_with_a_code() {
    // Every sign-in of both browsers counts against one loopback address.
    let options = HubOptions {
        env: vec![("HUB_LOGIN_ATTEMPTS_PER_MINUTE".into(), "100".into())],
        ..HubOptions::default()
    };
    let test = BrowserTest::start("two-factor-pages", options, &["member", "admin"]).await;
    let outcome = scenario(&test.hub, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, member: Page<'_>, admin: Page<'_>) -> anyhow::Result<()> {
    member.sign_in(MEMBER, DEMO_PASSWORD).await?;
    account_says_two_factor_is_off(member).await?;
    let secret = set_up_shows_the_qr_code_and_the_key(member).await?;
    a_wrong_code_does_not_turn_it_on(member, &secret).await?;
    let step = the_code_turns_it_on_and_shows_ten_recovery_codes(member, &secret).await?;
    member_signs_out(member).await?;
    the_password_alone_leads_to_the_code_form(member).await?;
    a_wrong_code_is_refused_in_the_form(member, &secret).await?;
    the_right_code_lands_on_the_status_page(member, &secret, step).await?;
    admin_resets_it_from_the_users_page(hub, admin).await?;
    member_signs_out(member).await?;
    the_password_alone_signs_in_again(member).await
}

// ---- What the steps share ----

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The app's code for `secret` (base32, as the page shows it) in 30-second `step`.
fn code_at_step(secret: &str, step: u64) -> anyhow::Result<String> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("the key on the page is not base32: {e}"))?;
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
        .map_err(|e| anyhow::anyhow!("not a TOTP key: {e}"))?;
    Ok(totp.generate(step * 30))
}

/// The 30-second step now, once it has a few seconds left (the codes of it and the next one
/// stay valid while a step types them).
async fn steady_step() -> u64 {
    let left = 30 - now_seconds() % 30;
    if left <= 5 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
    now_seconds() / 30
}

/// A 6-digit code the app shows at none of the steps near now.
fn wrong_code(secret: &str) -> anyhow::Result<String> {
    let step = now_seconds() / 30;
    let near = [
        code_at_step(secret, step - 1)?,
        code_at_step(secret, step)?,
        code_at_step(secret, step + 1)?,
    ];
    (0..10u32)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !near.contains(c))
        .context("a wrong code")
}

/// Types the e-mail and password into `/login` and sends the form.
async fn submit_password(page: Page<'_>) -> anyhow::Result<()> {
    page.visit("/login").await?;
    page.type_into("#email", MEMBER).await?;
    page.type_into("#password", DEMO_PASSWORD).await?;
    page.click("form[action='/login'] button[type=submit]")
        .await
}

// ---- /account ----

/// The section is there and says it is off.
async fn account_says_two_factor_is_off(member: Page<'_>) -> anyhow::Result<()> {
    member.open("/account").await?;
    let state = member.expect_text("#two-factor-state").await?;
    ensure!(state.starts_with("Off"), "the state: {state:?}");
    ensure!(
        member.count("#two-factor-required").await? == 0,
        "the demo organization requires nothing"
    );
    Ok(())
}

/// "Set up" shows the QR code (an inline SVG) and the key as text: the picture is taken here.
async fn set_up_shows_the_qr_code_and_the_key(member: Page<'_>) -> anyhow::Result<String> {
    member
        .wait_for(
            "the Set up button to be ready",
            10,
            "const b = document.querySelector('#two-factor-setup'); return !!b && !b.disabled;",
            vec![],
        )
        .await?;
    member.click("#two-factor-setup").await?;
    member.wait_shown("#two-factor-qr svg", 10).await?;
    let secret = member.expect_text("#two-factor-secret").await?;
    ensure!(
        secret.len() == 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()),
        "the key is base32: {secret:?}"
    );
    member
        .js(
            "document.querySelector('#two-factor').scrollIntoView(); return null;",
            vec![],
        )
        .await?;
    member.screenshot("account-2fa.png").await?;
    Ok(secret)
}

/// A code the app does not show is refused next to the field; it stays off.
async fn a_wrong_code_does_not_turn_it_on(member: Page<'_>, secret: &str) -> anyhow::Result<()> {
    member
        .type_into("#two-factor-code", &wrong_code(secret)?)
        .await?;
    member.click("#two-factor-enable").await?;
    member
        .wait_text("#two-factor-code-error", "not the 6-digit code", 5)
        .await?;
    let state = member.expect_text("#two-factor-state").await?;
    ensure!(state.starts_with("Off"), "still off: {state:?}");
    Ok(())
}

/// The code of now turns it on; the ten recovery codes are shown, once. Answers the step of
/// the code used.
async fn the_code_turns_it_on_and_shows_ten_recovery_codes(
    member: Page<'_>,
    secret: &str,
) -> anyhow::Result<u64> {
    let step = steady_step().await;
    member
        .type_into("#two-factor-code", &code_at_step(secret, step)?)
        .await?;
    member.click("#two-factor-enable").await?;
    member.wait_count("#recovery-codes li", 10, 5).await?;
    member.wait_text("#two-factor-state", "On:", 5).await?;
    let codes = member
        .js(
            "return [...document.querySelectorAll('#recovery-codes li')].map((e) => e.textContent.trim());",
            vec![],
        )
        .await?;
    let codes: Vec<String> = serde_json::from_value(codes)?;
    ensure!(
        codes
            .iter()
            .all(|c| c.len() == 14 && c.split('-').count() == 3),
        "recovery codes like abcd-efgh-jkmn: {codes:?}"
    );
    member.open("/account").await?;
    ensure!(
        member.count("#recovery-codes").await? == 0,
        "the codes are shown once, not after a reload"
    );
    let state = member.expect_text("#two-factor-state").await?;
    ensure!(state.contains("10 recovery codes left"), "{state:?}");
    member.no_errors().await?;
    Ok(step)
}

async fn member_signs_out(member: Page<'_>) -> anyhow::Result<()> {
    if member.path().await? != "/account" {
        member.open("/account").await?;
    }
    member.click(".logout-form button[type=submit]").await?;
    member.wait_path("/login", 10).await
}

// ---- /login ----

/// With the right password the page asks for the code (a numeric one-time code field), and
/// the picture is taken.
async fn the_password_alone_leads_to_the_code_form(member: Page<'_>) -> anyhow::Result<()> {
    submit_password(member).await?;
    member.wait_shown("#mfa-form", 10).await?;
    ensure!(
        member
            .attribute("#mfa-code", "autocomplete")
            .await?
            .as_deref()
            == Some("one-time-code"),
        "the code field offers the one-time code"
    );
    ensure!(member.attribute("#mfa-code", "inputmode").await?.as_deref() == Some("numeric"));
    ensure!(
        member.count("#mfa-recovery summary").await? == 1,
        "\"Use a recovery code\" is offered"
    );
    ensure!(
        member.status_of("/api/auth/me").await? == 401,
        "nobody is signed in before the code"
    );
    member.screenshot("login-2fa.png").await
}

/// A wrong code: the form again, saying why.
async fn a_wrong_code_is_refused_in_the_form(member: Page<'_>, secret: &str) -> anyhow::Result<()> {
    member.type_into("#mfa-code", &wrong_code(secret)?).await?;
    member.click("#mfa-submit").await?;
    member.wait_text("#mfa-error", "Wrong code", 10).await?;
    member.wait_shown("#mfa-form", 5).await
}

/// The next code of the app (the one used to turn it on is spent) lands on `/`, signed in.
async fn the_right_code_lands_on_the_status_page(
    member: Page<'_>,
    secret: &str,
    used_step: u64,
) -> anyhow::Result<()> {
    let step = steady_step().await.max(used_step + 1);
    member
        .type_into("#mfa-code", &code_at_step(secret, step)?)
        .await?;
    member.click("#mfa-submit").await?;
    member.wait_path("/", 10).await?;
    member.wait_live().await?;
    ensure!(member.status_of("/api/auth/me").await? == 200, "signed in");
    member.no_errors().await
}

// ---- /users ----

/// The admin sees "Reset two-factor" under the member on `/users` and uses it.
async fn admin_resets_it_from_the_users_page(hub: &Hub, admin: Page<'_>) -> anyhow::Result<()> {
    let api = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let users = api.get_json(&hub.url, "/api/users?per_page=50").await?;
    let bob = users["items"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["email"] == MEMBER))
        .and_then(|u| u["id"].as_i64())
        .context("the member's id")?;
    admin.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    admin.open("/users").await?;
    admin
        .js(
            "document.querySelector(arguments[0]).open = true; return null;",
            vec![json!(format!("#user-{bob}-manage"))],
        )
        .await?;
    let button = format!("#user-{bob}-reset-2fa");
    admin.wait_shown(&button, 5).await?;
    admin.click(&button).await?;
    admin
        .wait_text(&format!("#user-{bob}-2fa-done"), "password only", 5)
        .await?;
    admin.wait_gone(&button, 5).await?;
    let state = api.get_json(&hub.url, "/api/audit?per_page=20").await?;
    ensure!(
        state["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["action"] == "TWO_FACTOR_RESET")),
        "the reset is audited: {state}"
    );
    admin.no_errors().await
}

/// After the reset, the password alone signs in.
async fn the_password_alone_signs_in_again(member: Page<'_>) -> anyhow::Result<()> {
    submit_password(member).await?;
    member.wait_path("/", 10).await?;
    member.wait_live().await
}
