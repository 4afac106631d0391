//! The people and edit pages in real browsers against the real (demo) hub, as users see them:
//! `/account` (devices with Revoke, password change signing out the other logins),
//! `/settings/org` (rename shows in the header after a reload), a ticket edited and closed,
//! a game server edited and deleted (gone live from another admin's page), and an admin on
//! `/users`: an owner's row locked, a role and game name saved, a reset link, a deactivation,
//! the hub's 409 shown next to the form. A member gets 403 on the admin pages.
//! Screenshots: `e2e/output/account-page.png`, `users-admin-dark.png`, `ticket-edit.png`.
//!
//! `scenario` lists the steps in order; each step is one thing a user does or sees, and they
//! share one hub, so a step starts where the one before it left the pages and the data.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use serde_json::{json, Value};

const NEW_OWNER_PASSWORD: &str = "owner-new-pass-1";
const TICKET_TITLE: &str = "Login page answers slowly";
const TICKET_DESCRIPTION: &str = "Seen on the VPN only.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_org_ticket_server_and_users_pages_work() {
    let test = BrowserTest::start(
        "people-pages",
        HubOptions::default(),
        &["owner", "admin", "member"],
    )
    .await;
    let outcome = scenario(&test.hub, test.page(0), test.page(1), test.page(2)).await;
    test.finish(outcome).await;
}

async fn scenario(
    hub: &Hub,
    owner: Page<'_>,
    admin: Page<'_>,
    member: Page<'_>,
) -> anyhow::Result<()> {
    let demo = Demo::fetch(hub).await?;

    // /account: devices and the password change.
    let others = OtherLogins::open(hub).await?;
    owner.sign_in("owner@demo.test", DEMO_PASSWORD).await?;
    account_shows_the_owner(owner).await?;
    account_lists_devices_and_revokes_one(hub, owner, &others).await?;
    wrong_current_password_is_refused(owner).await?;
    password_change_signs_out_the_other_logins(hub, owner, &others).await?;

    // /settings/org: rename; the header shows it after a reload.
    org_form_refuses_a_timezone_that_is_not_iana(owner).await?;
    org_rename_shows_in_the_header(hub, owner, &demo).await?;

    // A ticket edited and closed.
    let ticket_id = demo.first_id(hub, "/api/tickets", "a demo ticket").await?;
    ticket_is_edited_and_closed_without_a_reload(owner, ticket_id).await?;
    closed_ticket_stays_closed_after_a_reload(owner, ticket_id).await?;

    // A game server edited, then deleted: gone live from the admin's page too.
    let server_id = demo
        .first_id(hub, "/api/game-servers", "the demo server")
        .await?;
    let row = format!("#servers-table tr[data-server-id='{server_id}']");
    admin_watches_the_servers_page(admin).await?;
    owner_renames_the_server(owner, &row).await?;
    deleted_server_leaves_both_pages(hub, owner, admin, &demo, &row).await?;

    // An admin on /users.
    admin_opens_users_with_every_panel_open(admin).await?;
    admin_cannot_touch_the_owner(admin, &demo).await?;
    admin_makes_alice_a_supervisor_with_a_game_name(hub, admin, &demo).await?;
    emptied_game_name_is_cleared(hub, admin, &demo).await?;
    admin_gets_a_reset_link_for_bob(admin, &demo).await?;
    admin_deactivates_carol(hub, admin, &demo).await?;
    duplicate_email_is_refused_next_to_the_form(admin).await?;
    users_page_in_dark_mode(admin, &demo).await?;

    // A member: the admin pages answer 403; their own account works.
    member.sign_in("bob@demo.test", DEMO_PASSWORD).await?;
    member_sees_their_own_account(member).await?;
    member_is_refused_admin_pages(member).await?;
    Ok(())
}

// ---- What the steps share ----

/// The admin's API session and the demo people's ids, fetched once.
struct Demo {
    admin_api: ApiSession,
    owner_id: i64,
    alice_id: i64,
    bob_id: i64,
    carol_id: i64,
}

impl Demo {
    async fn fetch(hub: &Hub) -> anyhow::Result<Demo> {
        let admin_api = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
        let users = admin_api
            .get_json(&hub.url, "/api/users?per_page=50")
            .await?;
        let id_of = |email: &str| -> anyhow::Result<i64> {
            users["items"]
                .as_array()
                .and_then(|a| a.iter().find(|u| u["email"] == email))
                .and_then(|u| u["id"].as_i64())
                .with_context(|| format!("no user {email}"))
        };
        Ok(Demo {
            owner_id: id_of("owner@demo.test")?,
            alice_id: id_of("alice@demo.test")?,
            bob_id: id_of("bob@demo.test")?,
            carol_id: id_of("carol@demo.test")?,
            admin_api,
        })
    }

    /// `GET path` as the admin: the JSON of a 2xx answer, else an error.
    async fn get(&self, hub: &Hub, path: &str) -> anyhow::Result<Value> {
        self.admin_api.get_json(&hub.url, path).await
    }

    /// The id of the first item `GET path` lists (`what` names it in the error).
    async fn first_id(&self, hub: &Hub, path: &str, what: &str) -> anyhow::Result<i64> {
        let list = self.get(hub, path).await?;
        list["items"][0]["id"]
            .as_i64()
            .with_context(|| what.to_string())
    }
}

/// Two more logins of the owner, through the API.
struct OtherLogins {
    first: ApiSession,
    /// The id of `first`'s token, as `/api/auth/tokens` lists it.
    first_token_id: i64,
    second: ApiSession,
}

impl OtherLogins {
    async fn open(hub: &Hub) -> anyhow::Result<OtherLogins> {
        let first = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
        let second = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
        let first_token_id = first
            .get_json(&hub.url, "/api/auth/tokens")
            .await?
            .as_array()
            .and_then(|a| a.iter().find(|t| t["current"] == true))
            .and_then(|t| t["id"].as_i64())
            .context("the token lists itself as current")?;
        Ok(OtherLogins {
            first,
            first_token_id,
            second,
        })
    }
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

/// `#user-{id}-{part}`: a control of a user's manage panel on `/users`.
fn user(id: i64, part: &str) -> String {
    format!("#user-{id}-{part}")
}

/// A cell of a user's row on `/users` (`column`: its class, `role` or `account`).
fn user_cell(id: i64, column: &str) -> String {
    format!("tbody[data-user-id='{id}'] td.{column}")
}

/// True when every element of `selectors` is disabled (an error if one is missing).
async fn all_disabled(page: Page<'_>, selectors: &[String]) -> anyhow::Result<bool> {
    let all = page
        .js(
            "return arguments[0].every((css) => document.querySelector(css).disabled);",
            vec![json!(selectors)],
        )
        .await?;
    Ok(all == json!(true))
}

// ---- /account ----

/// `/account` shows who is signed in: name, role, and the organization's timezone.
async fn account_shows_the_owner(owner: Page<'_>) -> anyhow::Result<()> {
    owner.open("/account").await?;
    ensure!(owner.text("#account-name").await?.as_deref() == Some("Olivia Owner"));
    ensure!(owner.text("#account-role").await?.as_deref() == Some("Owner"));
    let tz = owner.text("#account-timezone").await?.unwrap_or_default();
    ensure!(tz.starts_with("organization's: "), "timezone {tz:?}");
    Ok(())
}

/// The devices are this browser (marked, not revocable here) and the two API logins; revoking
/// one takes it off the list and stops its token, the other keeps working.
async fn account_lists_devices_and_revokes_one(
    hub: &Hub,
    owner: Page<'_>,
    others: &OtherLogins,
) -> anyhow::Result<()> {
    ensure!(
        owner.rows("#account-devices").await? == 3,
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
    owner.screenshot("account-page.png").await?;
    let first = others.first_token_id;
    owner
        .click(&format!(
            "#account-devices tr[data-token-id='{first}'] button.revoke"
        ))
        .await?;
    // The revoked login leaves the list.
    owner.wait_count("#account-devices tbody tr", 2, 5).await?;
    ensure!(
        me_status(hub, &others.first.token).await? == 401,
        "the revoked token stops working"
    );
    ensure!(
        me_status(hub, &others.second.token).await? == 200,
        "the other one still works"
    );
    Ok(())
}

/// A wrong current password is refused next to its field.
async fn wrong_current_password_is_refused(owner: Page<'_>) -> anyhow::Result<()> {
    owner
        .type_into("#current-password", "not-my-password")
        .await?;
    owner.type_into("#new-password", NEW_OWNER_PASSWORD).await?;
    owner
        .type_into("#new-password-confirm", NEW_OWNER_PASSWORD)
        .await?;
    owner.click("#password-save").await?;
    owner
        .wait_text("#current-password-error", "not your current password", 5)
        .await
}

/// With the right current password the change is saved and the other logins are signed out;
/// this browser stays signed in.
async fn password_change_signs_out_the_other_logins(
    hub: &Hub,
    owner: Page<'_>,
    others: &OtherLogins,
) -> anyhow::Result<()> {
    owner.type_into("#current-password", DEMO_PASSWORD).await?;
    owner.click("#password-save").await?;
    owner
        .wait_text(
            "#password-changed",
            "Password changed. 1 other login was signed out.",
            10,
        )
        .await?;
    ensure!(
        me_status(hub, &others.second.token).await? == 401,
        "other logins are signed out"
    );
    ensure!(
        owner.rows("#account-devices").await? == 1,
        "only this browser is left"
    );
    owner.open("/account").await?; // this browser stays signed in
    owner.no_errors().await
}

// ---- /settings/org ----

/// The form starts with the organization's name; a timezone that is not IANA is refused next
/// to its field.
async fn org_form_refuses_a_timezone_that_is_not_iana(owner: Page<'_>) -> anyhow::Result<()> {
    owner.open("/settings/org").await?;
    let name = owner.value("#org-name").await?;
    ensure!(
        name.as_deref() == Some("Demo Co"),
        "the form starts with the name: {name:?}"
    );
    owner.type_into("#org-timezone", "Mars/Olympus").await?;
    owner.click("#org-save").await?;
    owner.wait_text("#org-timezone-error", "IANA", 5).await
}

/// A new name and a valid timezone are saved; the header shows the name after a reload, and
/// the API answers both.
async fn org_rename_shows_in_the_header(
    hub: &Hub,
    owner: Page<'_>,
    demo: &Demo,
) -> anyhow::Result<()> {
    owner.type_into("#org-timezone", "Europe/Berlin").await?;
    owner.type_into("#org-name", "Renamed Co").await?;
    owner.click("#org-save").await?;
    owner
        .wait_text("#org-saved", "Saved: Renamed Co (Europe/Berlin)", 5)
        .await?;
    owner.open("/settings/org").await?;
    let header = owner.text(".org-name").await?;
    ensure!(
        header.as_deref() == Some("Renamed Co"),
        "header after reload: {header:?}"
    );
    let org = demo.get(hub, "/api/org").await?;
    ensure!(
        org["name"] == "Renamed Co" && org["timezone"] == "Europe/Berlin",
        "{org}"
    );
    Ok(())
}

// ---- A ticket ----

/// The ticket's title and description are edited, then it is closed, all without a reload;
/// closing leaves the description as it was.
async fn ticket_is_edited_and_closed_without_a_reload(
    owner: Page<'_>,
    ticket_id: i64,
) -> anyhow::Result<()> {
    owner.open(&format!("/tickets/{ticket_id}")).await?;
    owner.mark().await?;
    owner.type_into("#ticket-edit-title", TICKET_TITLE).await?;
    owner
        .type_into("#ticket-edit-description", TICKET_DESCRIPTION)
        .await?;
    owner.click("#ticket-save").await?;
    owner.wait_text("#ticket-heading", TICKET_TITLE, 5).await?;
    owner
        .wait_text("#ticket-description", TICKET_DESCRIPTION, 5)
        .await?;
    owner.click("#ticket-toggle-status").await?;
    owner.wait_text("#ticket-status", "closed", 5).await?;
    owner
        .wait_text("#ticket-toggle-status", "Reopen ticket", 5)
        .await?;
    // Closing changes the status only: the description stays.
    owner
        .wait_text("#ticket-description", TICKET_DESCRIPTION, 5)
        .await?;
    owner
        .expect_same_page("edits happen without a reload")
        .await?;
    owner.screenshot("ticket-edit.png").await
}

/// Opened again, the ticket shows the edits and is closed; `/tickets` lists it closed.
async fn closed_ticket_stays_closed_after_a_reload(
    owner: Page<'_>,
    ticket_id: i64,
) -> anyhow::Result<()> {
    owner.open(&format!("/tickets/{ticket_id}")).await?;
    owner.wait_text("#ticket-heading", TICKET_TITLE, 5).await?;
    owner.wait_text("#ticket-status", "closed", 5).await?;
    owner
        .wait_text("#ticket-description", TICKET_DESCRIPTION, 5)
        .await?;
    owner.open("/tickets").await?;
    let status = owner
        .text(&format!(
            "#tickets-table tr[data-ticket-id='{ticket_id}'] td.status"
        ))
        .await?;
    ensure!(
        status.as_deref() == Some("closed"),
        "/tickets shows {status:?}"
    );
    owner.no_errors().await
}

// ---- A game server ----

/// The admin signs in and keeps `/servers` open (marked: it must not reload).
async fn admin_watches_the_servers_page(admin: Page<'_>) -> anyhow::Result<()> {
    admin.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    admin.open("/servers").await?;
    admin.mark().await
}

/// The owner renames the server (its table row `row`) in the edit dialog.
async fn owner_renames_the_server(owner: Page<'_>, row: &str) -> anyhow::Result<()> {
    owner.open("/servers").await?;
    owner.click(&format!("{row} button.edit-server")).await?;
    owner
        .wait_for(
            "the edit dialog opens",
            5,
            "return document.querySelector('#edit-server-dialog').open;",
            vec![],
        )
        .await?;
    owner.type_into("#edit-server-name", "EU Main").await?;
    owner.click("#edit-server-save").await?;
    owner
        .wait_text(&format!("{row} .server-title"), "EU Main", 5)
        .await
}

/// The owner deletes the server (the dialog says its staff sessions are kept): its row leaves
/// the owner's page and, live, the admin's; the hub has no server left.
async fn deleted_server_leaves_both_pages(
    hub: &Hub,
    owner: Page<'_>,
    admin: Page<'_>,
    demo: &Demo,
    row: &str,
) -> anyhow::Result<()> {
    owner.click(&format!("{row} button.delete-server")).await?;
    owner
        .wait_text("#delete-server-text", "Its staff sessions are kept", 5)
        .await?;
    owner.click("#delete-server-confirm").await?;
    owner.wait_gone(row, 5).await?;
    admin.wait_gone(row, 5).await?;
    admin
        .expect_same_page("the admin's page was not reloaded")
        .await?;
    let servers = demo.get(hub, "/api/game-servers").await?;
    ensure!(servers["total"] == 0, "{servers}");
    owner.no_errors().await?;
    admin.no_errors().await
}

// ---- An admin on /users ----

/// The admin opens `/users` and every user's manage panel.
async fn admin_opens_users_with_every_panel_open(admin: Page<'_>) -> anyhow::Result<()> {
    admin.open("/users").await?;
    admin
        .js(
            "for (const d of document.querySelectorAll('details.manage')) d.open = true; return null;",
            vec![],
        )
        .await?;
    Ok(())
}

/// The owner's account is locked for an admin, with the reason; an admin can neither make
/// someone an owner nor invite one.
async fn admin_cannot_touch_the_owner(admin: Page<'_>, demo: &Demo) -> anyhow::Result<()> {
    let owner_id = demo.owner_id;
    admin
        .wait_text(&user(owner_id, "locked"), "Only an owner", 5)
        .await?;
    let controls = ["name", "role", "active", "save"].map(|part| user(owner_id, part));
    ensure!(
        all_disabled(admin, &controls).await?,
        "the owner's controls are disabled for an admin"
    );
    let owner_option = format!("{} option[value=owner]", user(demo.alice_id, "role"));
    ensure!(
        all_disabled(admin, &[owner_option]).await?,
        "an admin cannot pick owner"
    );
    ensure!(
        admin.count("#add-user-role option[value=owner]").await? == 0,
        "nor invite an owner"
    );
    Ok(())
}

/// Alice made a supervisor, with a game name and a Discord name: saved, shown in her row, and
/// stored.
async fn admin_makes_alice_a_supervisor_with_a_game_name(
    hub: &Hub,
    admin: Page<'_>,
    demo: &Demo,
) -> anyhow::Result<()> {
    let alice = demo.alice_id;
    admin.select(&user(alice, "role"), "supervisor").await?;
    admin.type_into(&user(alice, "game-name"), "AliceA").await?;
    admin
        .type_into(&user(alice, "discord"), "alice#0001")
        .await?;
    admin.click(&user(alice, "save")).await?;
    admin
        .wait_text(&user(alice, "saved"), "Saved Alice Archer.", 5)
        .await?;
    admin
        .wait_text(&user_cell(alice, "role"), "Supervisor", 5)
        .await?;
    let stored = demo.get(hub, &format!("/api/users/{alice}")).await?;
    ensure!(
        stored["role"] == "supervisor" && stored["game_name"] == "AliceA",
        "{stored}"
    );
    Ok(())
}

/// Alice's game name emptied and saved: the hub clears it and keeps the fields left alone.
async fn emptied_game_name_is_cleared(
    hub: &Hub,
    admin: Page<'_>,
    demo: &Demo,
) -> anyhow::Result<()> {
    let alice = demo.alice_id;
    admin.set_value(&user(alice, "game-name"), "").await?;
    admin.click(&user(alice, "save")).await?;
    // The cleared game name is saved.
    admin.wait_text(&user(alice, "saved"), "Saved", 5).await?;
    let stored = demo.get(hub, &format!("/api/users/{alice}")).await?;
    ensure!(
        stored["game_name"].is_null(),
        "an empty field clears it: {stored}"
    );
    ensure!(
        stored["discord"] == "alice#0001" && stored["role"] == "supervisor",
        "fields left alone are kept: {stored}"
    );
    Ok(())
}

/// Bob's reset-password link shows, to copy.
async fn admin_gets_a_reset_link_for_bob(admin: Page<'_>, demo: &Demo) -> anyhow::Result<()> {
    admin.click(&user(demo.bob_id, "reset")).await?;
    let link = admin
        .wait_for(
            "the reset link",
            5,
            "const i = document.querySelector(arguments[0]); return !!i && i.value;",
            vec![json!(user(demo.bob_id, "reset-link"))],
        )
        .await?;
    ensure!(
        link.as_str().is_some_and(|l| l.contains("/invite/")),
        "reset link {link}"
    );
    Ok(())
}

/// Carol deactivated: her row says so, the button offers to activate her again, and she can
/// no longer sign in.
async fn admin_deactivates_carol(hub: &Hub, admin: Page<'_>, demo: &Demo) -> anyhow::Result<()> {
    let carol = demo.carol_id;
    admin.click(&user(carol, "active")).await?;
    admin
        .wait_text(&user_cell(carol, "account"), "deactivated", 5)
        .await?;
    admin
        .wait_text(&user(carol, "active"), "Activate", 5)
        .await?;
    let refused = ApiSession::login(&hub.url, "carol@demo.test", DEMO_PASSWORD).await;
    ensure!(refused.is_err(), "a deactivated user cannot sign in");
    Ok(())
}

/// The hub's refusal shows next to the form: an e-mail already in use (409); nobody is added.
async fn duplicate_email_is_refused_next_to_the_form(admin: Page<'_>) -> anyhow::Result<()> {
    admin.type_into("#add-user-name", "Second Alice").await?;
    admin
        .type_into("#add-user-email", "alice@demo.test")
        .await?;
    admin.click("#add-user-submit").await?;
    let error = admin
        .wait_for(
            "the duplicate e-mail is refused",
            5,
            "const e = document.querySelector('#add-user-error'); return !e.hidden && e.textContent;",
            vec![],
        )
        .await?;
    eprintln!("[people_pages] duplicate e-mail: {error}");
    ensure!(
        admin.count("#users-table tbody.user-entry").await? == 6,
        "nobody was added"
    );
    admin.no_errors().await
}

/// `/users` in the dark scheme with only the owner's (locked) panel open:
/// `users-admin-dark.png`. The light scheme is back afterwards.
async fn users_page_in_dark_mode(admin: Page<'_>, demo: &Demo) -> anyhow::Result<()> {
    admin.browser.color_scheme(true).await?;
    admin
        .js(
            "for (const d of document.querySelectorAll('details.manage')) d.open = false;
             document.querySelector(arguments[0]).open = true;
             document.querySelector(arguments[0]).scrollIntoView();
             return null;",
            vec![json!(user(demo.owner_id, "manage"))],
        )
        .await?;
    admin.screenshot("users-admin-dark.png").await?;
    admin.browser.color_scheme(false).await
}

// ---- A member ----

/// A member's own account works; the navigation offers no admin pages.
async fn member_sees_their_own_account(member: Page<'_>) -> anyhow::Result<()> {
    member.open("/account").await?;
    ensure!(member.text("#account-name").await?.as_deref() == Some("Bob Baker"));
    let nav = member.text(".main-nav").await?.unwrap_or_default();
    ensure!(
        !nav.contains("Users") && !nav.contains("Organization"),
        "a member's navigation: {nav}"
    );
    Ok(())
}

/// `/users` and `/settings/org` answer a member with the 403 page.
async fn member_is_refused_admin_pages(member: Page<'_>) -> anyhow::Result<()> {
    for path in ["/users", "/settings/org"] {
        let shown = member.visit(path).await?;
        let why = member.text("#forbidden-message").await?;
        ensure!(
            why.is_some(),
            "{path} is refused for a member (it shows {shown:?})"
        );
    }
    member.no_errors().await
}
