//! `/servers` (supervisors and up): the organization's game servers with name, map, players
//! online and the staff on them now, kept current over `/ws/tab` as polls find joins and
//! leaves. Admins add, edit, disable and delete servers here (a deleted server's staff sessions
//! are kept).

use leptos::prelude::*;
use leptos_meta::Title;
use shared::game_servers::{
    CoverageAlert, CreateGameServerRequest, GameServer, UpdateGameServerRequest,
};
use shared::protocol::ServerToTab;

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{FormErrors, TextField, FORM};
use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::server_time::server_state;
use crate::time::absolute;

/// The rows, each with a version that changes whenever the server is replaced, so the keyed
/// list re-renders exactly the rows that changed.
#[derive(Clone, Copy)]
struct ServerList {
    rows: RwSignal<Vec<(u64, GameServer)>>,
    version: StoredValue<u64>,
}

impl ServerList {
    fn new(servers: Vec<GameServer>) -> Self {
        ServerList {
            rows: RwSignal::new(servers.into_iter().map(|s| (0, s)).collect()),
            version: StoredValue::new(0),
        }
    }

    fn upsert(&self, server: GameServer) {
        self.version.update_value(|v| *v += 1);
        let v = self.version.get_value();
        self.rows.update(
            |rows| match rows.iter_mut().find(|(_, s)| s.id == server.id) {
                Some(row) => *row = (v, server),
                None => rows.push((v, server)),
            },
        );
    }

    /// A coverage alert raised (`Some`) or cleared (`None`) on server `id`.
    fn set_alert(&self, id: i64, alert: Option<CoverageAlert>) {
        let current = self.rows.with_untracked(|rows| {
            rows.iter()
                .find(|(_, s)| s.id == id)
                .map(|(_, s)| s.clone())
        });
        if let Some(mut server) = current {
            server.coverage_alert = alert;
            self.upsert(server);
        }
    }

    fn remove(&self, id: i64) {
        self.rows.update(|rows| rows.retain(|(_, s)| s.id != id));
    }
}

/// The dialogs' targets: the server being edited or about to be deleted.
#[derive(Clone, Copy)]
struct Targets {
    edit: RwSignal<Option<GameServer>>,
    delete: RwSignal<Option<GameServer>>,
}

#[component]
pub fn ServersPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.servers else {
        return view! { <Missing/> }.into_any();
    };
    let list = ServerList::new(page.servers);
    let can_edit = page.can_edit;
    let staff = page
        .staff
        .iter()
        .map(|u| {
            view! {
                <li data-user-id=u.id>
                    <a href=format!("/staff/{}", u.id) rel="external">{u.name.clone()}</a>
                </li>
            }
        })
        .collect_view();
    let no_staff = page.staff.is_empty();
    let live = live_link(move |message| match message {
        ServerToTab::GameServerUpdated(update) => {
            if update.deleted {
                list.remove(update.server.id);
            } else {
                list.upsert(update.server);
            }
        }
        ServerToTab::CoverageAlert(alert) => list.set_alert(alert.server_id, Some(alert)),
        ServerToTab::CoverageCleared(cleared) => list.set_alert(cleared.server_id, None),
        _ => {}
    });
    let targets = Targets {
        edit: RwSignal::new(None),
        delete: RwSignal::new(None),
    };
    view! {
        <Title text=title("Game servers", &data.viewer)/>
        <TopBar viewer=data.viewer current="/servers"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="servers-heading">"Game servers"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <div class="table-wrap" role="region" aria-labelledby="servers-heading" tabindex="0">
                <table id="servers-table" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Server"</th>
                            <th scope="col">"Map"</th>
                            <th scope="col" class="num">"Players"</th>
                            <th scope="col">"Staff on now"</th>
                            <th scope="col">"Coverage"</th>
                            <th scope="col">"Status"</th>
                            {can_edit.then(|| view! { <th scope="col">"Actions"</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || list.rows.get()
                            key=|(v, s)| (s.id, *v)
                            children=move |(_, s)| view! { <ServerRow s can_edit list targets/> }
                        />
                    </tbody>
                </table>
            </div>
            <Show when=move || list.rows.with(Vec::is_empty)>
                <p class="empty">"No game servers yet."</p>
            </Show>
            <h2 id="staff-heading">"Staff time"</h2>
            <ul id="staff-links" class="staff-links" aria-labelledby="staff-heading">{staff}</ul>
            {no_staff.then(|| view! {
                <p class="empty">"No staff member has a game name yet: an admin sets it on the user."</p>
            })}
            {can_edit.then(|| view! {
                <AddServer list/>
                <EditServerDialog target=targets.edit list/>
                <DeleteServerDialog target=targets.delete list/>
            })}
        </main>
    }
    .into_any()
}

#[component]
fn ServerRow(s: GameServer, can_edit: bool, list: ServerList, targets: Targets) -> impl IntoView {
    let (state, state_text) = server_state(&s);
    let players = match (s.players_online, s.max_players) {
        (Some(n), Some(max)) => format!("{n} / {max}"),
        (Some(n), None) => n.to_string(),
        _ => "—".to_string(),
    };
    let staff = s
        .staff_online
        .iter()
        .map(|p| {
            view! {
                <li data-user-id=p.user_id>
                    <a href=format!("/staff/{}", p.user_id) rel="external">{p.name.clone()}</a>
                </li>
            }
        })
        .collect_view();
    let nobody = s.staff_online.is_empty();
    let coverage = match (&s.coverage_alert, s.min_staff) {
        (Some(alert), _) => view! {
            <span class="badge badge-error coverage-alert">
                {format!("Short of staff: {} of {}", alert.staff_online, alert.min_staff)}
            </span>
            <span class="server-sub">{format!("since {}", absolute(alert.since))}</span>
        }
        .into_any(),
        (None, 0) => view! { <span class="muted">"no rule"</span> }.into_any(),
        (None, min) => view! {
            <span class="coverage-rule">
                {format!("at least {min} staff · alert after {} min", s.alert_after_minutes)}
            </span>
        }
        .into_any(),
    };
    let alerting = s.coverage_alert.is_some().to_string();
    let toggle = can_edit.then(|| {
        let (id, enabled, name) = (s.id, s.enabled, s.name.clone());
        let (for_edit, for_delete) = (s.clone(), s.clone());
        let busy = RwSignal::new(false);
        let error = RwSignal::new(None::<String>);
        let flip = move |_| {
            busy.set(true);
            leptos::task::spawn_local(async move {
                let body = UpdateGameServerRequest {
                    enabled: Some(!enabled),
                    ..UpdateGameServerRequest::default()
                };
                match api::patch::<_, GameServer>(&format!("/api/game-servers/{id}"), &body).await {
                    Ok(server) => list.upsert(server),
                    Err(e) => {
                        error.set(Some(e.message));
                        busy.set(false);
                    }
                }
            });
        };
        let label = if enabled { format!("Disable {name}") } else { format!("Enable {name}") };
        view! {
            <td class="polling actions">
                <div class="row-actions">
                    <button type="button" class="toggle-polling" aria-label=label disabled=move || busy.get() on:click=flip>
                        {if enabled { "Disable" } else { "Enable" }}
                    </button>
                    <button
                        type="button"
                        class="edit-server"
                        aria-label=format!("Edit {name}")
                        aria-haspopup="dialog"
                        on:click=move |_| targets.edit.set(Some(for_edit.clone()))
                    >
                        "Edit"
                    </button>
                    <button
                        type="button"
                        class="delete-server danger-outline"
                        aria-label=format!("Delete {name}")
                        aria-haspopup="dialog"
                        on:click=move |_| targets.delete.set(Some(for_delete.clone()))
                    >
                        "Delete"
                    </button>
                </div>
                <span class="form-error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</span>
            </td>
        }
    });
    view! {
        <tr data-server-id=s.id data-state=state data-coverage-alert=alerting>
            <td class="name">
                <span class="server-title">{s.name.clone()}</span>
                <span class="server-sub">{s.server_name.clone().unwrap_or_default()} " " <code>{s.address.clone()}</code></span>
            </td>
            <td class="map">{s.map.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="num players">{players}</td>
            <td class="staff-online">
                {if nobody {
                    view! { <span class="muted">"nobody"</span> }.into_any()
                } else {
                    view! { <ul class="staff-list">{staff}</ul> }.into_any()
                }}
            </td>
            <td class="coverage">{coverage}</td>
            <td class="state">
                <span class=format!("server-state server-state-{state}")>{state_text}</span>
            </td>
            {toggle}
        </tr>
    }
}

#[component]
fn AddServer(list: ServerList) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let min_staff = RwSignal::new("0".to_string());
    let alert_after = RwSignal::new("5".to_string());
    let error = RwSignal::new(None::<String>);
    let fields = RwSignal::new(std::collections::BTreeMap::<String, String>::new());
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = CreateGameServerRequest {
            name: name.get_untracked(),
            address: address.get_untracked(),
            enabled: None,
            min_staff: min_staff.get_untracked().trim().parse().ok(),
            alert_after_minutes: alert_after.get_untracked().trim().parse().ok(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, GameServer>("/api/game-servers", &body).await {
                Ok(server) => {
                    list.upsert(server);
                    name.set(String::new());
                    address.set(String::new());
                    error.set(None);
                    fields.set(Default::default());
                }
                Err(e) => {
                    error.set(Some(e.message));
                    fields.set(e.fields);
                }
            }
            busy.set(false);
        });
    };
    let field_error = move |f: &'static str| move || fields.with(|m| m.get(f).cloned());
    view! {
        <form id="add-server" class="card" on:submit=submit>
            <h2>"Add a game server"</h2>
            <div class="field">
                <label for="server-name">"Name"</label>
                <input id="server-name" name="name" required maxlength="100"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <span class="field-error">{field_error("name")}</span>
            </div>
            <div class="field">
                <label for="server-address">"Query address (host:port)"</label>
                <input id="server-address" name="address" required placeholder="127.0.0.1:27015"
                    prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))/>
                <span class="field-error">{field_error("address")}</span>
            </div>
            <CoverageFields min_staff alert_after prefix="server"/>
            <span class="field-error">{field_error("min_staff")}</span>
            <span class="field-error">{field_error("alert_after_minutes")}</span>
            <p class="form-error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || busy.get()>"Add server"</button>
        </form>
    }
}

/// The coverage rule's two numbers (SPEC §15).
#[component]
fn CoverageFields(
    min_staff: RwSignal<String>,
    alert_after: RwSignal<String>,
    prefix: &'static str,
) -> impl IntoView {
    let (min_id, after_id) = (
        format!("{prefix}-min-staff"),
        format!("{prefix}-alert-after"),
    );
    view! {
        <div class="field-row">
            <div class="field">
                <label for=min_id.clone()>"Staff wanted while players are on"</label>
                <input id=min_id type="number" min="0" max="100" name="min_staff"
                    prop:value=move || min_staff.get() on:input=move |ev| min_staff.set(event_target_value(&ev))/>
                <span class="hint">"0: no coverage alert"</span>
            </div>
            <div class="field">
                <label for=after_id.clone()>"Alert after (minutes short)"</label>
                <input id=after_id type="number" min="0" max="1440" name="alert_after_minutes"
                    prop:value=move || alert_after.get() on:input=move |ev| alert_after.set(event_target_value(&ev))/>
            </div>
        </div>
    }
}

/// Opens the native modal `dialog` while `open` holds, closes it when it stops (hydrated only).
fn follow_dialog(dialog: NodeRef<leptos::html::Dialog>, open: impl Fn() -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        let open = open();
        let Some(d) = dialog.get() else { return };
        if open && !d.open() {
            _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (dialog, open);
}

/// `#edit-server-dialog`: the server's name and query address (`PATCH /api/game-servers/{id}`).
#[component]
fn EditServerDialog(target: RwSignal<Option<GameServer>>, list: ServerList) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let min_staff = RwSignal::new(String::new());
    let alert_after = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    // A new target fills the form.
    Effect::new(move || {
        if let Some(s) = target.get() {
            name.set(s.name.clone());
            address.set(s.address.clone());
            min_staff.set(s.min_staff.to_string());
            alert_after.set(s.alert_after_minutes.to_string());
            errors.clear();
        }
    });
    follow_dialog(dialog, move || target.with(Option::is_some));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(server) = target.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let (new_name, new_address) = (
            name.get_untracked().trim().to_string(),
            address.get_untracked().trim().to_string(),
        );
        if new_name.is_empty() {
            errors.add("name", "Enter a name.");
        }
        if new_address.is_empty() {
            errors.add("address", "Enter the query address, host:port.");
        }
        if !errors.is_empty() {
            return;
        }
        let new_min: Option<i64> = min_staff.get_untracked().trim().parse().ok();
        let new_after: Option<i64> = alert_after.get_untracked().trim().parse().ok();
        let body = UpdateGameServerRequest {
            name: (new_name != server.name).then_some(new_name),
            address: (new_address != server.address).then_some(new_address),
            enabled: None,
            min_staff: new_min.filter(|m| *m != server.min_staff),
            alert_after_minutes: new_after.filter(|a| *a != server.alert_after_minutes),
        };
        if body.name.is_none()
            && body.address.is_none()
            && body.min_staff.is_none()
            && body.alert_after_minutes.is_none()
        {
            target.set(None);
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/game-servers/{}", server.id);
            let result = api::patch::<_, GameServer>(&path, &body).await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    list.upsert(saved);
                    target.set(None);
                }
                Err(f) => errors.failed(f, |field| match field {
                    "name" => Some("The name"),
                    "address" => Some("The address"),
                    _ => None,
                }),
            }
        });
    };
    let title = move || target.with(|t| t.as_ref().map(|s| s.name.clone()).unwrap_or_default());

    view! {
        <dialog
            node_ref=dialog
            id="edit-server-dialog"
            class="dialog"
            aria-labelledby="edit-server-title"
            on:close=move |_| target.set(None)
        >
            <form class="dialog-form" novalidate on:submit=submit>
                <h2 id="edit-server-title">"Edit " {title}</h2>
                <TextField id="edit-server-name" label="Name" value=name errors field="name"
                    required=true maxlength=100/>
                <TextField id="edit-server-address" label="Query address (host:port)" value=address
                    errors field="address" required=true placeholder="127.0.0.1:27015".to_string()
                    hint="The next poll asks the new address."/>
                <CoverageFields min_staff alert_after prefix="edit-server"/>
                <FieldError id="edit-server-error".to_string() message=errors.message(FORM)/>
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| target.set(None)>"Cancel"</button>
                    <button type="submit" id="edit-server-save" class="primary" disabled=busy>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// `#delete-server-dialog`: asks before `DELETE /api/game-servers/{id}`.
#[component]
fn DeleteServerDialog(target: RwSignal<Option<GameServer>>, list: ServerList) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    follow_dialog(dialog, move || target.with(Option::is_some));
    Effect::new(move || {
        if target.with(Option::is_some) {
            error.set(None);
        }
    });
    let confirm = move |_| {
        let Some(server) = target.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/game-servers/{}", server.id);
            let result = api::delete_no_content(&path).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    list.remove(server.id);
                    target.set(None);
                }
                // Someone else deleted it first.
                Err(f) if f.status == 404 => {
                    list.remove(server.id);
                    target.set(None);
                }
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let name = move || target.with(|t| t.as_ref().map(|s| s.name.clone()).unwrap_or_default());

    view! {
        <dialog
            node_ref=dialog
            id="delete-server-dialog"
            class="dialog"
            aria-labelledby="delete-server-title"
            aria-describedby="delete-server-text"
            on:close=move |_| target.set(None)
        >
            <h2 id="delete-server-title">"Delete " {name} "?"</h2>
            <p id="delete-server-text">
                "Polling stops and the server leaves this page. Its staff sessions are kept: staff time on it still counts in their details."
            </p>
            <p id="delete-server-error" class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get()}
            </p>
            <div class="dialog-actions">
                <button type="button" autofocus on:click=move |_| target.set(None)>"Cancel"</button>
                <button type="button" id="delete-server-confirm" class="danger" disabled=busy on:click=confirm>
                    {move || if busy.get() { "Deleting…" } else { "Delete server" }}
                </button>
            </div>
        </dialog>
    }
}
