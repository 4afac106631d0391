//! The people and edit pages in real browsers against the real (demo) hub, as users see them:
//! `/account` (devices with Revoke, password change signing out the other logins),
//! `/settings/org` (rename shows in the header after a reload), a ticket edited and closed,
//! a game server edited and deleted (gone live from another admin's page), and an admin on
//! `/users`: an owner's row locked, a role and game name saved, a reset link, a deactivation,
//! the hub's 409 shown next to the form. A member gets 403 on the admin pages.
//! Screenshots: `e2e/output/account-page.png`, `users-admin-dark.png`, `ticket-edit.png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, save_console,
    screenshot, type_into, visible_text, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use reqwest::Method;
use serde_json::{json, Value};

const NEW_OWNER_PASSWORD: &str = "owner-new-pass-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_org_ticket_server_and_users_pages_work() {
    for who in ["people-owner", "people-admin", "people-member"] {
        clear_failure(who);
    }
    let hub = Hub::start(HubOptions {
        label: "people-pages-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("people-pages-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let owner = driver.browser("browser (owner)").await.expect("browser");
    let admin = driver.browser("browser (admin)").await.expect("browser");
    let member = driver.browser("browser (alice)").await.expect("browser");

    let outcome = scenario(&hub, &owner, &admin, &member).await;
    save_console(&owner, "people-console-owner.log").await;
    save_console(&admin, "people-console-admin.log").await;
    if outcome.is_err() {
        dump_failure(&owner, "people-owner").await;
        dump_failure(&admin, "people-admin").await;
        dump_failure(&member, "people-member").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    for b in [owner, admin, member] {
        let _ = b.close().await;
    }
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

/// The status of `GET /api/auth/me` with `token`: 200 while it works, 401 once revoked.
async fn me_status(hub: &Hub, token: &str) -> anyhow::Result<u16> {
    Ok(reqwest::Client::new()
        .get(hub.http_url("/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await?
        .status()
        .as_u16())
}

async fn call(hub: &Hub, who: &ApiSession, method: Method, path: &str) -> anyhow::Result<Value> {
    let (status, body) = who
        .send_json(method.clone(), &hub.url, path, &Value::Null)
        .await?;
    ensure!(
        (200..300).contains(&status),
        "{method} {path}: {status} {body}"
    );
    Ok(body)
}

/// The number of rows in `table` (a css selector).
async fn rows(browser: &Browser, table: &str) -> anyhow::Result<i64> {
    let n = browser
        .js(
            "return document.querySelectorAll(arguments[0] + ' tbody tr').length;",
            vec![json!(table)],
        )
        .await?;
    n.as_i64().context("a count")
}

async fn wait_text(browser: &Browser, css: &str, needle: &str, secs: u64) -> anyhow::Result<()> {
    wait_until(
        browser,
        &format!("{css} shows {needle:?}"),
        secs,
        "const e = document.querySelector(arguments[0]);
         return !!e && !e.hidden && e.textContent.includes(arguments[1]);",
        vec![json!(css), json!(needle)],
    )
    .await
    .map(|_| ())
}

async fn scenario(
    hub: &Hub,
    owner: &Browser,
    admin: &Browser,
    member: &Browser,
) -> anyhow::Result<()> {
    let admin_api = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let users = call(hub, &admin_api, Method::GET, "/api/users?per_page=50").await?;
    let id_of = |email: &str| -> anyhow::Result<i64> {
        users["items"]
            .as_array()
            .and_then(|a| a.iter().find(|u| u["email"] == email))
            .and_then(|u| u["id"].as_i64())
            .with_context(|| format!("no user {email}"))
    };
    let (owner_id, alice_id, bob_id, carol_id) = (
        id_of("owner@demo.test")?,
        id_of("alice@demo.test")?,
        id_of("bob@demo.test")?,
        id_of("carol@demo.test")?,
    );

    // ---- /account: devices and the password change ----
    let other1 = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let other2 = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let other1_id = call(hub, &other1, Method::GET, "/api/auth/tokens")
        .await?
        .as_array()
        .and_then(|a| a.iter().find(|t| t["current"] == true))
        .and_then(|t| t["id"].as_i64())
        .context("the token lists itself as current")?;
    owner
        .login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await?;
    open(owner, &hub.url, "/account").await?;
    ensure!(visible_text(owner, "#account-name").await?.as_deref() == Some("Olivia Owner"));
    ensure!(visible_text(owner, "#account-role").await?.as_deref() == Some("Owner"));
    let tz = visible_text(owner, "#account-timezone")
        .await?
        .unwrap_or_default();
    ensure!(tz.starts_with("organization's: "), "timezone {tz:?}");
    ensure!(
        rows(owner, "#account-devices").await? == 3,
        "this browser and two API logins"
    );
    let current = owner
        .js(
            "const r = document.querySelector('#account-devices tr[data-current=true]');
             return !!r && !r.querySelector('button') && r.textContent.includes('this browser');",
            vec![],
        )
        .await?;
    ensure!(
        current == json!(true),
        "this browser is marked and not revocable here"
    );
    screenshot(owner, "account-page.png").await?;
    click(
        owner,
        &format!("#account-devices tr[data-token-id='{other1_id}'] button.revoke"),
    )
    .await?;
    wait_until(
        owner,
        "the revoked login leaves the list",
        5,
        "return document.querySelectorAll('#account-devices tbody tr').length === 2;",
        vec![],
    )
    .await?;
    ensure!(
        me_status(hub, &other1.token).await? == 401,
        "the revoked token stops working"
    );
    ensure!(
        me_status(hub, &other2.token).await? == 200,
        "the other one still works"
    );

    type_into(owner, "#current-password", "not-my-password").await?;
    type_into(owner, "#new-password", NEW_OWNER_PASSWORD).await?;
    type_into(owner, "#new-password-confirm", NEW_OWNER_PASSWORD).await?;
    click(owner, "#password-save").await?;
    wait_text(
        owner,
        "#current-password-error",
        "not your current password",
        5,
    )
    .await?;
    type_into(owner, "#current-password", DEMO_PASSWORD).await?;
    click(owner, "#password-save").await?;
    wait_text(
        owner,
        "#password-changed",
        "Password changed. 1 other login was signed out.",
        10,
    )
    .await?;
    ensure!(
        me_status(hub, &other2.token).await? == 401,
        "other logins are signed out"
    );
    ensure!(
        rows(owner, "#account-devices").await? == 1,
        "only this browser is left"
    );
    open(owner, &hub.url, "/account").await?; // this browser stays signed in
    no_page_errors(owner).await?;

    // ---- /settings/org: rename; the header shows it after a reload ----
    open(owner, &hub.url, "/settings/org").await?;
    let name = owner
        .js("return document.querySelector('#org-name').value;", vec![])
        .await?;
    ensure!(
        name == json!("Demo Co"),
        "the form starts with the name: {name}"
    );
    type_into(owner, "#org-timezone", "Mars/Olympus").await?;
    click(owner, "#org-save").await?;
    wait_text(owner, "#org-timezone-error", "IANA", 5).await?;
    type_into(owner, "#org-timezone", "Europe/Berlin").await?;
    type_into(owner, "#org-name", "Renamed Co").await?;
    click(owner, "#org-save").await?;
    wait_text(owner, "#org-saved", "Saved: Renamed Co (Europe/Berlin)", 5).await?;
    open(owner, &hub.url, "/settings/org").await?;
    let header = visible_text(owner, ".org-name").await?;
    ensure!(
        header.as_deref() == Some("Renamed Co"),
        "header after reload: {header:?}"
    );
    let org = call(hub, &admin_api, Method::GET, "/api/org").await?;
    ensure!(
        org["name"] == "Renamed Co" && org["timezone"] == "Europe/Berlin",
        "{org}"
    );

    // ---- A ticket edited and closed ----
    let tickets = call(hub, &admin_api, Method::GET, "/api/tickets").await?;
    let ticket_id = tickets["items"][0]["id"]
        .as_i64()
        .context("a demo ticket")?;
    open(owner, &hub.url, &format!("/tickets/{ticket_id}")).await?;
    mark_page(owner).await?;
    type_into(owner, "#ticket-edit-title", "Login page answers slowly").await?;
    type_into(owner, "#ticket-edit-description", "Seen on the VPN only.").await?;
    click(owner, "#ticket-save").await?;
    wait_text(owner, "#ticket-heading", "Login page answers slowly", 5).await?;
    wait_text(owner, "#ticket-description", "Seen on the VPN only.", 5).await?;
    click(owner, "#ticket-toggle-status").await?;
    wait_text(owner, "#ticket-status", "closed", 5).await?;
    wait_text(owner, "#ticket-toggle-status", "Reopen ticket", 5).await?;
    // Closing changes the status only: the description stays.
    wait_text(owner, "#ticket-description", "Seen on the VPN only.", 5).await?;
    ensure!(same_page(owner).await?, "edits happen without a reload");
    screenshot(owner, "ticket-edit.png").await?;
    open(owner, &hub.url, &format!("/tickets/{ticket_id}")).await?;
    wait_text(owner, "#ticket-heading", "Login page answers slowly", 5).await?;
    wait_text(owner, "#ticket-status", "closed", 5).await?;
    wait_text(owner, "#ticket-description", "Seen on the VPN only.", 5).await?;
    open(owner, &hub.url, "/tickets").await?;
    let status = visible_text(
        owner,
        &format!("#tickets-table tr[data-ticket-id='{ticket_id}'] td.status"),
    )
    .await?;
    ensure!(
        status.as_deref() == Some("closed"),
        "/tickets shows {status:?}"
    );
    no_page_errors(owner).await?;

    // ---- A game server edited, then deleted: gone live from the admin's page too ----
    let servers = call(hub, &admin_api, Method::GET, "/api/game-servers").await?;
    let server_id = servers["items"][0]["id"]
        .as_i64()
        .context("the demo server")?;
    let row = format!("#servers-table tr[data-server-id='{server_id}']");
    admin
        .login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await?;
    open(admin, &hub.url, "/servers").await?;
    mark_page(admin).await?;
    open(owner, &hub.url, "/servers").await?;
    click(owner, &format!("{row} button.edit-server")).await?;
    wait_until(
        owner,
        "the edit dialog opens",
        5,
        "return document.querySelector('#edit-server-dialog').open;",
        vec![],
    )
    .await?;
    type_into(owner, "#edit-server-name", "EU Main").await?;
    click(owner, "#edit-server-save").await?;
    wait_text(owner, &format!("{row} .server-title"), "EU Main", 5).await?;
    click(owner, &format!("{row} button.delete-server")).await?;
    wait_text(
        owner,
        "#delete-server-text",
        "Its staff sessions are kept",
        5,
    )
    .await?;
    click(owner, "#delete-server-confirm").await?;
    wait_until(
        owner,
        "the deleted server leaves the page",
        5,
        "return !document.querySelector(arguments[0]);",
        vec![json!(row)],
    )
    .await?;
    wait_until(
        admin,
        "the deleted server leaves the admin's open page",
        5,
        "return !document.querySelector(arguments[0]);",
        vec![json!(row)],
    )
    .await?;
    ensure!(same_page(admin).await?, "the admin's page was not reloaded");
    let servers = call(hub, &admin_api, Method::GET, "/api/game-servers").await?;
    ensure!(servers["total"] == 0, "{servers}");
    no_page_errors(owner).await?;
    no_page_errors(admin).await?;

    // ---- An admin on /users ----
    open(admin, &hub.url, "/users").await?;
    let manage = |id: i64| format!("#user-{id}-manage");
    admin
        .js(
            "for (const d of document.querySelectorAll('details.manage')) d.open = true; return null;",
            vec![],
        )
        .await?;
    // The owner's account: locked, with the reason.
    wait_text(
        admin,
        &format!("#user-{owner_id}-locked"),
        "Only an owner",
        5,
    )
    .await?;
    let locked = admin
        .js(
            "const ids = arguments[0];
             return ids.every((id) => document.querySelector(id).disabled);",
            vec![json!([
                format!("#user-{owner_id}-name"),
                format!("#user-{owner_id}-role"),
                format!("#user-{owner_id}-active"),
                format!("#user-{owner_id}-save"),
            ])],
        )
        .await?;
    ensure!(
        locked == json!(true),
        "the owner's controls are disabled for an admin"
    );
    let owner_option = admin
        .js(
            "return document.querySelector(arguments[0] + ' option[value=owner]').disabled;",
            vec![json!(format!("#user-{alice_id}-role"))],
        )
        .await?;
    ensure!(owner_option == json!(true), "an admin cannot pick owner");
    let add_owner = admin
        .js(
            "return !!document.querySelector('#add-user-role option[value=owner]');",
            vec![],
        )
        .await?;
    ensure!(add_owner == json!(false), "nor invite an owner");

    // Alice: supervisor, with a game name; then the game name cleared.
    admin
        .js(
            "const s = document.querySelector(arguments[0]);
             s.value = 'supervisor'; s.dispatchEvent(new Event('change', { bubbles: true }));
             return null;",
            vec![json!(format!("#user-{alice_id}-role"))],
        )
        .await?;
    type_into(admin, &format!("#user-{alice_id}-game-name"), "AliceA").await?;
    type_into(admin, &format!("#user-{alice_id}-discord"), "alice#0001").await?;
    click(admin, &format!("#user-{alice_id}-save")).await?;
    wait_text(
        admin,
        &format!("#user-{alice_id}-saved"),
        "Saved Alice Archer.",
        5,
    )
    .await?;
    wait_text(
        admin,
        &format!("tbody[data-user-id='{alice_id}'] td.role"),
        "Supervisor",
        5,
    )
    .await?;
    let alice = call(
        hub,
        &admin_api,
        Method::GET,
        &format!("/api/users/{alice_id}"),
    )
    .await?;
    ensure!(
        alice["role"] == "supervisor" && alice["game_name"] == "AliceA",
        "{alice}"
    );
    // Emptied as a user does it (WebDriver's clear() fires no input event).
    admin
        .js(
            "const i = document.querySelector(arguments[0]);
             i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }));
             return null;",
            vec![json!(format!("#user-{alice_id}-game-name"))],
        )
        .await?;
    click(admin, &format!("#user-{alice_id}-save")).await?;
    wait_until(
        admin,
        "the cleared game name is saved",
        5,
        "return document.querySelector(arguments[0]).textContent.includes('Saved');",
        vec![json!(format!("#user-{alice_id}-saved"))],
    )
    .await?;
    let alice = call(
        hub,
        &admin_api,
        Method::GET,
        &format!("/api/users/{alice_id}"),
    )
    .await?;
    ensure!(
        alice["game_name"].is_null(),
        "an empty field clears it: {alice}"
    );
    ensure!(
        alice["discord"] == "alice#0001" && alice["role"] == "supervisor",
        "fields left alone are kept: {alice}"
    );

    // Bob: a reset-password link to copy.
    click(admin, &format!("#user-{bob_id}-reset")).await?;
    let link = wait_until(
        admin,
        "the reset link",
        5,
        "const i = document.querySelector(arguments[0]); return !!i && i.value;",
        vec![json!(format!("#user-{bob_id}-reset-link"))],
    )
    .await?;
    ensure!(
        link.as_str().is_some_and(|l| l.contains("/invite/")),
        "reset link {link}"
    );

    // Carol: deactivated.
    click(admin, &format!("#user-{carol_id}-active")).await?;
    wait_text(
        admin,
        &format!("tbody[data-user-id='{carol_id}'] td.account"),
        "deactivated",
        5,
    )
    .await?;
    wait_text(admin, &format!("#user-{carol_id}-active"), "Activate", 5).await?;
    let refused = ApiSession::login(&hub.url, "carol@demo.test", DEMO_PASSWORD).await;
    ensure!(refused.is_err(), "a deactivated user cannot sign in");

    // The hub's refusal shows next to the form: an e-mail already in use (409).
    type_into(admin, "#add-user-name", "Second Alice").await?;
    type_into(admin, "#add-user-email", "alice@demo.test").await?;
    click(admin, "#add-user-submit").await?;
    let error = wait_until(
        admin,
        "the duplicate e-mail is refused",
        5,
        "const e = document.querySelector('#add-user-error'); return !e.hidden && e.textContent;",
        vec![],
    )
    .await?;
    eprintln!("[people_pages] duplicate e-mail: {error}");
    ensure!(
        admin
            .js(
                "return document.querySelectorAll('#users-table tbody.user-entry').length;",
                vec![]
            )
            .await?
            == json!(6),
        "nobody was added"
    );
    no_page_errors(admin).await?;
    admin.color_scheme(true).await?;
    admin
        .js(
            "for (const d of document.querySelectorAll('details.manage')) d.open = false;
             document.querySelector(arguments[0]).open = true;
             document.querySelector(arguments[0]).scrollIntoView();
             return null;",
            vec![json!(manage(owner_id))],
        )
        .await?;
    screenshot(admin, "users-admin-dark.png").await?;
    admin.color_scheme(false).await?;

    // ---- A member: the admin pages answer 403; their own account works ----
    member
        .login(&hub.url, "bob@demo.test", DEMO_PASSWORD)
        .await?;
    open(member, &hub.url, "/account").await?;
    ensure!(visible_text(member, "#account-name").await?.as_deref() == Some("Bob Baker"));
    let nav = visible_text(member, ".main-nav").await?.unwrap_or_default();
    ensure!(
        !nav.contains("Users") && !nav.contains("Organization"),
        "a member's navigation: {nav}"
    );
    for path in ["/users", "/settings/org"] {
        member.client.goto(&hub.http_url(path)).await?;
        let why = visible_text(member, "#forbidden-message").await?;
        ensure!(why.is_some(), "{path} is refused for a member");
    }
    no_page_errors(member).await?;
    Ok(())
}
