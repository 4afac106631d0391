//! `/users` (admins and owners): everyone of the organization with role, live status and
//! devices; invite someone (the invite link to copy), and per user: profile and game identity,
//! role, deactivate/activate, a reset-password link, and their logins with "Revoke".
//! An admin cannot make owners or change an owner's account: those controls are disabled and
//! say why (the hub refuses anyway, 403, and its message is shown).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{CreateUserRequest, UpdateUserRequest, UserRecord};
use shared::people::{CreatedUser, DeviceToken, LinkResponse};
use shared::protocol::ServerToTab;
use shared::{PresenceStatus, Role};

use crate::api;
use crate::components::device_table::DeviceTable;
use crate::components::field_error::FieldError;
use crate::components::form::{
    role_label, CopyLink, FormErrors, TextField, TimezoneList, FORM, TIMEZONE_LIST,
};
use crate::components::live_badge::LiveBadge;
use crate::components::status_dot::StatusDot;
use crate::components::top_bar::TopBar;
use crate::components::two_factor_reset::ResetTwoFactor;
use crate::connect::{clock, live_link};
use crate::data::{PageData, UserRow};
use crate::pages::{forbidden::Missing, title};
use crate::time::absolute;

/// Roles in the order the pickers list them.
const ROLES: [Role; 4] = [Role::Member, Role::Supervisor, Role::Admin, Role::Owner];

/// One user of the table: each part changes on its own, the row stays.
#[derive(Clone, Copy)]
struct Entry {
    id: i64,
    user: RwSignal<UserRecord>,
    status: RwSignal<PresenceStatus>,
    devices: RwSignal<Vec<DeviceToken>>,
}

impl Entry {
    fn new(row: UserRow) -> Self {
        Entry {
            id: row.user.id,
            user: RwSignal::new(row.user),
            status: RwSignal::new(row.status),
            devices: RwSignal::new(row.devices),
        }
    }
}

/// What every row needs to know about the page.
#[derive(Clone, Copy)]
struct Context {
    viewer_id: i64,
    viewer_role: Role,
    org_timezone: StoredValue<String>,
    now_ms: RwSignal<Option<i64>>,
    /// Who has two-factor sign-in on (as the page was loaded).
    two_factor_users: StoredValue<Vec<i64>>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let (Some(page), Some(viewer)) = (data.users, data.viewer.clone()) else {
        return view! { <Missing/> }.into_any();
    };
    let entries = RwSignal::new(page.users.into_iter().map(Entry::new).collect::<Vec<_>>());
    let ctx = Context {
        viewer_id: viewer.user.id,
        viewer_role: viewer.user.role,
        org_timezone: StoredValue::new(page.org_timezone),
        now_ms: clock(),
        two_factor_users: StoredValue::new(page.two_factor_users),
    };
    let live = live_link(move |message| {
        let changes = match message {
            ServerToTab::PresenceSnapshot { users } => users,
            ServerToTab::PresenceDiff { changes } => changes,
            _ => return,
        };
        entries.with_untracked(|list| {
            for change in changes {
                if let Some(e) = list.iter().find(|e| e.id == change.user_id) {
                    e.status.set(change.status);
                }
            }
        });
    });
    let on_created = Callback::new(move |created: CreatedUser| {
        let entry = Entry::new(UserRow {
            user: created.user,
            status: PresenceStatus::Offline,
            devices: Vec::new(),
        });
        entries.update(|list| {
            if list.iter().any(|e| e.id == entry.id) {
                return;
            }
            let name = entry.user.with_untracked(|u| u.name.to_lowercase());
            let at = list
                .iter()
                .position(|e| e.user.with_untracked(|u| u.name.to_lowercase()) > name)
                .unwrap_or(list.len());
            list.insert(at, entry);
        });
    });
    let count = move || entries.with(Vec::len);

    view! {
        <Title text=title("Users", &data.viewer)/>
        <TopBar viewer=data.viewer current="/users"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="users-heading">"Users"</h1>
                <div class="page-meta">
                    <span id="users-count">{count} " people"</span>
                    <LiveBadge live/>
                    <a href="#add-user-form" rel="external" class="button-link">"Invite someone"</a>
                </div>
            </div>
            <TimezoneList/>
            <h2 id="users-table-heading" class="visually-hidden">"Everyone in the organization"</h2>
            <p class="hint users-hint">"Open “Manage” under a person to change their role, profile or access."</p>
            <div class="table-wrap" role="region" aria-labelledby="users-table-heading" tabindex="0">
                <table id="users-table" class="data-table users-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"E-mail"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Account"</th>
                            <th scope="col" class="num">"Devices"</th>
                        </tr>
                    </thead>
                    <For
                        each=move || entries.get()
                        key=|e| e.id
                        children=move |entry| view! { <UserEntry entry ctx/> }
                    />
                </table>
            </div>
            <AddUserForm viewer_role=ctx.viewer_role on_created/>
        </main>
    }
    .into_any()
}

/// `tbody.user-entry[data-user-id]`: the user's row and, under it, their "Manage" panel.
#[component]
fn UserEntry(entry: Entry, ctx: Context) -> impl IntoView {
    let Entry {
        id,
        user,
        status,
        devices,
    } = entry;
    let name = move || user.with(|u| u.name.clone());
    let is_self = id == ctx.viewer_id;
    view! {
        <tbody class="user-entry" data-user-id=id>
            <tr class="user-row" data-active=move || user.with(|u| u.active.to_string())>
                <th scope="row" class="name">
                    {name}
                    {is_self.then(|| view! { " " <span class="badge">"you"</span> })}
                </th>
                <td class="email" data-label="E-mail">{move || user.with(|u| u.email.clone())}</td>
                <td class="role" data-label="Role">{move || role_label(user.with(|u| u.role))}</td>
                <td class="status" data-label="Status">
                    <StatusDot status=move || status.get()/>
                </td>
                <td class="account" data-label="Account">
                    {move || if user.with(|u| u.active) {
                        view! { <span class="badge badge-active">"active"</span> }.into_any()
                    } else {
                        view! { <span class="badge badge-inactive">"deactivated"</span> }.into_any()
                    }}
                </td>
                <td class="num device-count" data-label="Devices">{move || devices.with(Vec::len)}</td>
            </tr>
            <tr class="manage-row">
                <td colspan="6">
                    <details id=format!("user-{id}-manage") class="manage">
                        <summary>"Manage " <span class="manage-name">{name}</span></summary>
                        <ManagePanel entry ctx/>
                    </details>
                </td>
            </tr>
        </tbody>
    }
}

/// A profile text field as the form edits it: "" for none.
fn text_of(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The change of an optional text, if any: `Some(None)` clears it.
fn optional_change(typed: &str, stored: &Option<String>) -> Option<Option<String>> {
    let typed = typed.trim();
    let new = (!typed.is_empty()).then(|| typed.to_string());
    (new != *stored).then_some(new)
}

fn user_field_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "The name",
        "email" => "The e-mail",
        "password" => "The password",
        "role" => "The role",
        "game_name" => "The game name",
        "steam_id" => "The Steam ID",
        "discord" => "The Discord name",
        "timezone" => "The timezone",
        _ => return None,
    })
}

#[component]
fn ManagePanel(entry: Entry, ctx: Context) -> impl IntoView {
    let Entry {
        id, user, devices, ..
    } = entry;
    let is_self = id == ctx.viewer_id;
    // An admin cannot touch an owner's account.
    let locked =
        Memo::new(move |_| user.with(|u| u.role == Role::Owner) && ctx.viewer_role != Role::Owner);
    let start = user.get_untracked();
    let name = RwSignal::new(start.name.clone());
    let role = RwSignal::new(start.role);
    let game_name = RwSignal::new(text_of(&start.game_name));
    let steam_id = RwSignal::new(text_of(&start.steam_id));
    let discord = RwSignal::new(text_of(&start.discord));
    let timezone = RwSignal::new(text_of(&start.timezone));
    let errors = FormErrors::new();
    let saved = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let reset_form = move |u: &UserRecord| {
        name.set(u.name.clone());
        role.set(u.role);
        game_name.set(text_of(&u.game_name));
        steam_id.set(text_of(&u.steam_id));
        discord.set(text_of(&u.discord));
        timezone.set(text_of(&u.timezone));
    };

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        saved.set(None);
        let stored = user.get_untracked();
        let typed_name = name.get_untracked().trim().to_string();
        if typed_name.is_empty() {
            errors.add("name", "Enter a name.");
            return;
        }
        let body = UpdateUserRequest {
            name: (typed_name != stored.name).then_some(typed_name),
            role: (role.get_untracked() != stored.role).then(|| role.get_untracked()),
            game_name: optional_change(&game_name.get_untracked(), &stored.game_name),
            steam_id: optional_change(&steam_id.get_untracked(), &stored.steam_id),
            discord: optional_change(&discord.get_untracked(), &stored.discord),
            timezone: optional_change(&timezone.get_untracked(), &stored.timezone),
            active: None,
        };
        let nothing = body.name.is_none()
            && body.role.is_none()
            && body.game_name.is_none()
            && body.steam_id.is_none()
            && body.discord.is_none()
            && body.timezone.is_none();
        if nothing {
            saved.set(Some("Nothing to save: nothing was changed.".into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::patch::<_, UserRecord>(&format!("/api/users/{id}"), &body).await;
            busy.set(false);
            match result {
                Ok(record) => {
                    reset_form(&record);
                    saved.set(Some(format!("Saved {}.", record.name)));
                    user.set(record);
                }
                Err(f) => errors.failed(f, user_field_label),
            }
        });
    };

    let role_options = move || {
        ROLES
            .iter()
            .map(|r| {
                let r = *r;
                view! {
                    <option
                        value=r.as_str()
                        selected=move || role.get() == r
                        disabled=!ctx.viewer_role.may_grant(r)
                    >
                        {role_label(r)}
                    </option>
                }
            })
            .collect_view()
    };
    let role_note = if is_self {
        Some("You cannot change your own role.")
    } else if ctx.viewer_role != Role::Owner {
        Some("Only an owner can make someone an owner.")
    } else {
        None
    };
    let org_tz = ctx.org_timezone.get_value();
    let lock_note = move || {
        locked.get().then(|| {
            view! {
                <p class="notice lock-note" id=format!("user-{id}-locked")>
                    "Only an owner can change an owner's account: these controls are disabled."
                </p>
            }
        })
    };
    let form_disabled = Signal::derive(move || locked.get() || busy.get());
    let role_id = format!("user-{id}-role");

    view! {
        <div class="manage-panel">
            {lock_note}
            <form id=format!("user-{id}-form") class="manage-form" novalidate on:submit=save>
                <h3>"Profile and role"</h3>
                <div class="form-grid">
                    <TextField id=format!("user-{id}-name") label="Name" value=name errors field="name"
                        required=true maxlength=200 disabled=form_disabled/>
                    <div class="field">
                        <label for=role_id.clone()>"Role"</label>
                        <select
                            id=role_id.clone()
                            name="role"
                            aria-describedby=format!("{role_id}-hint {role_id}-error")
                            aria-invalid=errors.invalid("role")
                            disabled=move || locked.get() || busy.get() || is_self
                            prop:value=move || role.get().as_str()
                            on:change=move |ev| {
                                if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                    role.set(r);
                                }
                            }
                        >
                            {role_options}
                        </select>
                        <p id=format!("{role_id}-hint") class="hint">{role_note}</p>
                        <FieldError id=format!("{role_id}-error") message=errors.message("role")/>
                    </div>
                    <TextField id=format!("user-{id}-game-name") label="Game name" value=game_name
                        errors field="game_name" maxlength=64 disabled=form_disabled
                        hint="The player name game servers report, to count their staff time."/>
                    <TextField id=format!("user-{id}-steam-id") label="Steam ID" value=steam_id
                        errors field="steam_id" maxlength=64 disabled=form_disabled/>
                    <TextField id=format!("user-{id}-discord") label="Discord" value=discord
                        errors field="discord" maxlength=64 disabled=form_disabled/>
                    <TextField id=format!("user-{id}-timezone") label="Timezone" value=timezone
                        errors field="timezone" list=TIMEZONE_LIST disabled=form_disabled
                        placeholder=org_tz.clone()
                        hint=format!("Empty: the organization's ({org_tz}).")/>
                </div>
                <FieldError id=format!("user-{id}-form-error") message=errors.message(FORM)/>
                <div class="form-actions">
                    <button type="submit" id=format!("user-{id}-save") class="primary" disabled=form_disabled>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                    <p id=format!("user-{id}-saved") class="form-success" role="status">
                        {move || saved.get()}
                    </p>
                </div>
            </form>
            <AccessControls entry ctx locked/>
            <section class="manage-devices" aria-labelledby=format!("user-{id}-devices-heading")>
                <h3 id=format!("user-{id}-devices-heading")>"Devices and logins"</h3>
                <DeviceTable
                    id=format!("user-{id}-devices")
                    labelled_by=format!("user-{id}-devices-heading")
                    devices
                    now_ms=ctx.now_ms
                />
            </section>
        </div>
    }
}

/// Deactivate / activate, the reset-password link, and resetting two-factor sign-in.
#[component]
fn AccessControls(entry: Entry, ctx: Context, locked: Memo<bool>) -> impl IntoView {
    let Entry {
        id, user, devices, ..
    } = entry;
    let is_self = id == ctx.viewer_id;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let link = RwSignal::new(None::<LinkResponse>);
    let active = move || user.with(|u| u.active);

    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let to = !user.with_untracked(|u| u.active);
        busy.set(true);
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let body = UpdateUserRequest {
                active: Some(to),
                ..UpdateUserRequest::default()
            };
            let result = api::patch::<_, UserRecord>(&format!("/api/users/{id}"), &body).await;
            busy.set(false);
            match result {
                Ok(record) => {
                    if !record.active {
                        // The hub revoked every login of theirs with the change.
                        devices.set(Vec::new());
                        link.set(None);
                    }
                    notice.set(Some(if record.active {
                        format!("{} can sign in again.", record.name)
                    } else {
                        format!("{} is deactivated and signed out everywhere.", record.name)
                    }));
                    user.set(record);
                }
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let issue_link = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let result =
                api::post_empty::<LinkResponse>(&format!("/api/users/{id}/reset-link")).await;
            busy.set(false);
            match result {
                Ok(l) => link.set(Some(l)),
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let toggle_note = if is_self {
        Some("You cannot deactivate yourself.")
    } else {
        None
    };

    view! {
        <section class="manage-access" aria-labelledby=format!("user-{id}-access-heading")>
            <h3 id=format!("user-{id}-access-heading")>"Access"</h3>
            <div class="form-actions">
                <button
                    type="button"
                    id=format!("user-{id}-active")
                    class=move || if active() { "danger-outline toggle-active" } else { "toggle-active" }
                    disabled=move || busy.get() || locked.get() || is_self
                    on:click=toggle
                >
                    {move || if active() { "Deactivate" } else { "Activate" }}
                </button>
                <button
                    type="button"
                    id=format!("user-{id}-reset")
                    disabled=move || busy.get() || locked.get()
                    on:click=issue_link
                >
                    "Reset-password link"
                </button>
            </div>
            <p class="hint">
                {toggle_note.unwrap_or(
                    "Deactivating signs them out everywhere at once; their history stays.",
                )}
            </p>
            <p id=format!("user-{id}-access-error") class="form-error" role="alert"
                hidden=move || error.with(Option::is_none)>
                {move || error.get()}
            </p>
            <p id=format!("user-{id}-access-done") class="form-success" role="status">
                {move || notice.get()}
            </p>
            <ResetTwoFactor
                user_id=id
                enabled=ctx.two_factor_users.get_value().contains(&id)
                locked
            />
            {move || link.get().map(|l| view! {
                <CopyLink
                    id=format!("user-{id}-reset-link")
                    label="Reset-password link"
                    link=l.link
                    hint=format!(
                        "Send it to them. It works once, until {}; an earlier link of theirs stopped working.",
                        absolute(l.expires_at)
                    )
                />
            })}
        </section>
    }
}

/// `#add-user-form`: name, e-mail, role, optional password. Without a password the hub
/// answers a one-time invite link, shown to copy (`#invite-link`).
#[component]
fn AddUserForm(viewer_role: Role, on_created: Callback<CreatedUser>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedUser>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        created.set(None);
        let typed_password = password.get_untracked();
        let body = CreateUserRequest {
            name: name.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            password: (!typed_password.is_empty()).then_some(typed_password),
            role: role.get_untracked(),
            game_name: None,
            steam_id: None,
            discord: None,
            timezone: None,
        };
        if body.name.is_empty() {
            errors.add("name", "Enter their name.");
        }
        if body.email.is_empty() {
            errors.add("email", "Enter their e-mail address.");
        }
        if body
            .password
            .as_ref()
            .is_some_and(|p| p.chars().count() < shared::people::MIN_PASSWORD_CHARS)
        {
            errors.add(
                "password",
                "The password must be at least 10 characters (or leave it empty).",
            );
        }
        if !errors.is_empty() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::post::<_, CreatedUser>("/api/users", &body).await;
            busy.set(false);
            match result {
                Ok(user) => {
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    role.set(Role::Member);
                    on_created.run(user.clone());
                    created.set(Some(user));
                }
                Err(f) => errors.failed(f, user_field_label),
            }
        });
    };
    let role_options = ROLES
        .iter()
        .filter(|r| viewer_role.may_grant(**r))
        .map(|r| {
            let r = *r;
            view! {
                <option value=r.as_str() selected=move || role.get() == r>{role_label(r)}</option>
            }
        })
        .collect_view();
    let result = move || {
        created.get().map(|c| {
            let who = c.user.name.clone();
            view! {
                <p id="add-user-done" class="form-success" role="status">
                    {match c.invite_link {
                        Some(_) => format!("Added {who}. Send them the invite link below."),
                        None => format!("Added {who}. They sign in with the password you set."),
                    }}
                </p>
                {c.invite_link.map(|link| view! {
                    <CopyLink
                        id="invite-link"
                        label=format!("Invite link for {who}")
                        link
                        hint="It works once, for 7 days: they choose their password there."
                    />
                })}
            }
        })
    };

    view! {
        <form id="add-user-form" class="card" method="post" novalidate aria-labelledby="add-user-heading" on:submit=submit>
            <h2 id="add-user-heading">"Invite someone"</h2>
            <div class="form-grid">
                <TextField id="add-user-name" label="Name" value=name errors field="name"
                    required=true maxlength=200 autocomplete="off"/>
                <TextField id="add-user-email" label="E-mail" value=email errors field="email"
                    kind="email" required=true autocomplete="off"/>
                <div class="field">
                    <label for="add-user-role">"Role"</label>
                    <select
                        id="add-user-role"
                        name="role"
                        aria-describedby="add-user-role-error"
                        prop:value=move || role.get().as_str()
                        on:change=move |ev| {
                            if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                role.set(r);
                            }
                        }
                    >
                        {role_options}
                    </select>
                    <FieldError id="add-user-role-error".to_string() message=errors.message("role")/>
                </div>
                <TextField id="add-user-password" label="Password (optional)" value=password errors
                    field="password" kind="password" autocomplete="new-password"
                    hint="Leave empty to get an invite link where they choose their own."/>
            </div>
            <FieldError id="add-user-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="add-user-submit" class="primary" disabled=busy>
                    {move || if busy.get() { "Adding…" } else { "Add user" }}
                </button>
            </div>
            <div id="add-user-result" aria-live="polite">{result}</div>
        </form>
    }
}
