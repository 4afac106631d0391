//! A team adopts the hub without the demo, in a real browser against the real hub: a hub on an
//! empty database prints a one-time setup link; `/` leads to `/setup`, which without the token
//! shows no form (403); with it the owner creates the organization and lands on `/` signed in.
//! On `/users` the owner invites a member without a password and gets the invite link; in a
//! second browser (fresh profile) the member opens it, sets a password and sees `/` as
//! themselves; the owner's `/users` then lists them with their login.
//! Screenshots: `e2e/output/first-run-setup.png`, `users-page.png`, `users-page-phone.png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, no_page_errors, open, save_console, screenshot, type_into,
    visible_text, wait_live, wait_until,
};
use e2e::{Browser, ChromeDriver, Hub, HubOptions};
use serde_json::json;
use std::time::Duration;

const ORG: &str = "Acme Robotics";
const OWNER: (&str, &str) = ("Olga Founder", "olga@acme.test");
const OWNER_PASSWORD: &str = "owner-pass-123";
const MEMBER: (&str, &str) = ("Max Member", "max@acme.test");
const MEMBER_PASSWORD: &str = "member-pass-456";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_invite_and_second_browser() {
    clear_failure("first-run-owner");
    clear_failure("first-run-member");
    let hub = Hub::start(HubOptions {
        label: "first-run-hub".into(),
        demo: false,
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("first-run-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let owner = driver.browser("browser (owner)").await.expect("browser");
    let member = driver.browser("browser (member)").await.expect("browser");

    let outcome = scenario(&hub, &owner, &member).await;
    save_console(&owner, "first-run-console-owner.log").await;
    save_console(&member, "first-run-console-member.log").await;
    if outcome.is_err() {
        dump_failure(&owner, "first-run-owner").await;
        dump_failure(&member, "first-run-member").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = owner.close().await;
    let _ = member.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

/// Waits until the form `css` has its handlers (`data-hydrated="true"`).
async fn wait_form_ready(browser: &Browser, css: &str) -> anyhow::Result<()> {
    wait_until(
        browser,
        &format!("{css} hydrated"),
        15,
        "const f = document.querySelector(arguments[0]); return !!f && f.dataset.hydrated === 'true';",
        vec![json!(css)],
    )
    .await
    .map(|_| ())
}

/// Waits until the browser shows `path` (after a navigation the page itself started).
async fn wait_path(browser: &Browser, path: &str) -> anyhow::Result<()> {
    e2e::wait_for(
        &format!("{} to land on {path}", browser.name),
        Duration::from_secs(15),
        Duration::from_millis(50),
        || async {
            let url = browser.client.current_url().await?;
            Ok((url.path() == path).then_some(()))
        },
    )
    .await
}

async fn scenario(hub: &Hub, owner: &Browser, member: &Browser) -> anyhow::Result<()> {
    let link = hub.setup_link().await?;
    ensure!(
        link.starts_with(&format!("{}/setup?token=", hub.url)),
        "the printed setup link points at this hub: {link}"
    );
    let path_and_query = link.trim_start_matches(&hub.url).to_string();

    // Plain HTTP: `/` leads to `/setup`; without the token the page refuses with no form.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let root = http.get(hub.http_url("/")).send().await?;
    ensure!(
        root.status().is_redirection(),
        "GET / on a hub without organization: {}",
        root.status()
    );
    let location = root
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    ensure!(location == "/setup", "GET / redirects to {location:?}");
    let refused = http.get(hub.http_url("/setup")).send().await?;
    ensure!(
        refused.status() == 403,
        "/setup without token: {}",
        refused.status()
    );
    let body = refused.text().await?;
    ensure!(
        !body.contains("type=\"password\"") && body.contains("setup-closed"),
        "/setup without token shows no form"
    );
    let wrong = http
        .get(hub.http_url("/setup?token=not-the-token"))
        .send()
        .await?;
    ensure!(
        wrong.status() == 403,
        "/setup with a wrong token: {}",
        wrong.status()
    );

    // In the browser: `/` shows the setup page; without the token there is no form.
    owner.client.goto(&hub.http_url("/")).await?;
    wait_path(owner, "/setup").await?;
    let closed = visible_text(owner, "#setup-closed")
        .await?
        .unwrap_or_default();
    ensure!(
        closed.contains("This setup link is not valid or was already used"),
        "explanation without token: {closed:?}"
    );
    let password_inputs = owner
        .js(
            "return document.querySelectorAll('input[type=password]').length;",
            vec![],
        )
        .await?;
    ensure!(
        password_inputs == json!(0),
        "no password field without the token"
    );

    // With the token: the form. A too-short password is refused next to its field first.
    owner.client.goto(&hub.http_url(&path_and_query)).await?;
    wait_form_ready(owner, "#setup-form").await?;
    let tz = owner
        .js(
            "return document.querySelector('#setup-timezone').value;",
            vec![],
        )
        .await?;
    ensure!(tz == json!("UTC"), "the timezone starts at UTC: {tz}");
    type_into(owner, "#setup-org-name", ORG).await?;
    type_into(owner, "#setup-timezone", "Europe/Berlin").await?;
    type_into(owner, "#setup-owner-name", OWNER.0).await?;
    type_into(owner, "#setup-email", OWNER.1).await?;
    type_into(owner, "#setup-password", "short").await?;
    type_into(owner, "#setup-password-confirm", "short").await?;
    click(owner, "#setup-submit").await?;
    let short = wait_until(
        owner,
        "the short password is refused under its field",
        5,
        "const e = document.querySelector('#setup-password-error'); return !e.hidden && e.textContent;",
        vec![],
    )
    .await?;
    ensure!(
        short.as_str().is_some_and(|t| t.contains("at least 10")),
        "{short}"
    );
    type_into(owner, "#setup-password", OWNER_PASSWORD).await?;
    type_into(owner, "#setup-password-confirm", OWNER_PASSWORD).await?;
    // The whole form in one picture: a taller window, scrolled to the top.
    owner.viewport(Some((1280, 1150))).await?;
    owner
        .js("window.scrollTo(0, 0); return null;", vec![])
        .await?;
    screenshot(owner, "first-run-setup.png").await?;
    owner.viewport(None).await?;
    click(owner, "#setup-submit").await?;
    wait_path(owner, "/").await?;
    wait_live(owner).await?;
    let who = visible_text(owner, ".viewer-name").await?;
    ensure!(who.as_deref() == Some(OWNER.0), "signed in as {who:?}");
    let role = visible_text(owner, ".role-badge").await?;
    ensure!(role.as_deref() == Some("owner"), "role {role:?}");
    let org = visible_text(owner, ".org-name").await?;
    ensure!(org.as_deref() == Some(ORG), "organization {org:?}");
    no_page_errors(owner).await?;

    // The link is used up: `/setup` with it now refuses.
    let used = http.get(&link).send().await?;
    ensure!(
        used.status() == 403,
        "the used setup link: {}",
        used.status()
    );

    // /users: invite a member without a password → the invite link to copy, and their row.
    open(owner, &hub.url, "/users").await?;
    type_into(owner, "#add-user-name", MEMBER.0).await?;
    type_into(owner, "#add-user-email", MEMBER.1).await?;
    click(owner, "#add-user-submit").await?;
    let invite = wait_until(
        owner,
        "the invite link",
        10,
        "const i = document.querySelector('#invite-link'); return !!i && i.value;",
        vec![],
    )
    .await?;
    let invite = invite
        .as_str()
        .context("the invite link is text")?
        .to_string();
    ensure!(
        invite.starts_with(&format!("{}/invite/", hub.url)),
        "invite link {invite}"
    );
    let done = visible_text(owner, "#add-user-done")
        .await?
        .unwrap_or_default();
    ensure!(done.contains(MEMBER.0), "confirmation: {done:?}");
    let row = wait_until(
        owner,
        "the new member's row",
        5,
        "const r = [...document.querySelectorAll('#users-table tbody.user-entry')]
             .find((b) => b.textContent.includes(arguments[0]));
         return !!r && r.querySelector('td.role').textContent.trim();",
        vec![json!(MEMBER.0)],
    )
    .await?;
    ensure!(row == json!("Member"), "the new row's role: {row}");
    // The Copy button answers (copied, or the hint to copy by hand).
    click(owner, "#invite-link-copy").await?;
    wait_until(
        owner,
        "the Copy button's answer",
        5,
        "return document.querySelector('#invite-link-copied').textContent.length > 0;",
        vec![],
    )
    .await?;
    // Open the first Manage panel (the new member's) for the screenshot.
    owner
        .js(
            "document.querySelector('#users-table tbody.user-entry details').open = true; return null;",
            vec![],
        )
        .await?;
    owner.viewport(Some((1280, 1700))).await?;
    owner
        .js("window.scrollTo(0, 0); return null;", vec![])
        .await?;
    screenshot(owner, "users-page.png").await?;
    owner.viewport(Some((375, 812))).await?;
    owner
        .js(
            "document.querySelector('#users-table').scrollIntoView(); return null;",
            vec![],
        )
        .await?;
    screenshot(owner, "users-page-phone.png").await?;
    owner.viewport(None).await?;
    no_page_errors(owner).await?;

    // Second browser, fresh profile: the member sets a password from the link.
    member.client.goto(&invite).await?;
    wait_form_ready(member, "#invite-form").await?;
    let heading = visible_text(member, "#invite-heading").await?;
    ensure!(
        heading.as_deref() == Some(&format!("Welcome to {ORG}")[..]),
        "heading {heading:?}"
    );
    let greeting = visible_text(member, "#invite-greeting")
        .await?
        .unwrap_or_default();
    ensure!(greeting.contains(MEMBER.0), "greeting {greeting:?}");
    let email = visible_text(member, "#invite-email").await?;
    ensure!(email.as_deref() == Some(MEMBER.1), "e-mail {email:?}");
    type_into(member, "#invite-password", MEMBER_PASSWORD).await?;
    type_into(member, "#invite-password-confirm", "something-else").await?;
    click(member, "#invite-submit").await?;
    wait_until(
        member,
        "the mismatch shows",
        5,
        "const e = document.querySelector('#invite-password-confirm-error'); return !e.hidden;",
        vec![],
    )
    .await?;
    type_into(member, "#invite-password-confirm", MEMBER_PASSWORD).await?;
    click(member, "#invite-submit").await?;
    wait_path(member, "/").await?;
    wait_live(member).await?;
    let who = visible_text(member, ".viewer-name").await?;
    ensure!(
        who.as_deref() == Some(MEMBER.0),
        "the member sees / as {who:?}"
    );
    no_page_errors(member).await?;

    // The link works once.
    let again = http.get(&invite).send().await?;
    ensure!(
        again.status() == 404,
        "the used invite link: {}",
        again.status()
    );
    member.client.goto(&invite).await?;
    let gone = visible_text(member, "#invite-closed")
        .await?
        .unwrap_or_default();
    ensure!(gone.contains("already used or has expired"), "{gone:?}");

    // The owner's /users lists them, with their browser login.
    open(owner, &hub.url, "/users").await?;
    let devices = owner
        .js(
            "const r = [...document.querySelectorAll('#users-table tbody.user-entry')]
                 .find((b) => b.textContent.includes(arguments[0]));
             return r ? r.querySelector('td.device-count').textContent.trim() : null;",
            vec![json!(MEMBER.0)],
        )
        .await?;
    ensure!(devices == json!("1"), "the member's logins: {devices}");
    no_page_errors(owner).await?;
    Ok(())
}
