//! `/tickets/{id}`: one ticket, the time spent on it, and its sessions (a member sees only
//! theirs), live like `/sessions`. Another organization's ticket is not found (404). Its
//! creator, and supervisors and up, edit it and close or reopen it here.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::Ticket;
use shared::people::UpdateTicketRequest;
use shared::protocol::ServerToTab;
use shared::Role;

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{FormErrors, FORM};

use crate::components::end_session::EndSessionDialog;
use crate::components::live_badge::LiveBadge;
use crate::components::own_session::OwnSessionState;
use crate::components::pager::Pager;
use crate::components::session_table::{RowActions, SessionTable};
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::query::{page_href, SessionQuery};
use crate::session_list::SessionListStore;
use crate::time::{day, hms};

#[component]
pub fn TicketPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let (Some(page), Some(viewer)) = (data.ticket, data.viewer.clone()) else {
        return view! { <NotFound/> }.into_any();
    };
    let ticket = page.ticket;
    let role = viewer.user.role;
    let viewer_id = viewer.user.id;
    let now_ms = clock();
    // The list's filters, as the hub applied them: this ticket, and a member's own sessions.
    let query = SessionQuery {
        ticket_id: Some(ticket.id),
        user_id: (!role.reads_whole_org()).then_some(viewer_id),
        page: page.sessions.page,
        per_page: page.sessions.per_page,
        ..SessionQuery::default()
    };
    let (list_page, list_per_page) = (query.page, query.per_page);
    let store = SessionListStore::new(page.sessions, query);
    let total_seconds = RwSignal::new(ticket.total_time_spent_seconds);
    let session_count = RwSignal::new(ticket.session_count);
    let own = OwnSessionState::new(None, Callback::new(move |s| store.upsert(s)));
    let end_target = RwSignal::new(None);
    let is_admin = role.at_least(Role::Admin);
    let actions = RowActions {
        viewer_id,
        on_end: is_admin.then(|| Callback::new(move |t| end_target.set(Some(t)))),
        on_stop: Callback::new(move |id| own.stop(id)),
    };
    let ticket_id = ticket.id;
    let live = live_link(move |message| {
        // Totals follow what this page sees: new sessions of the ticket, and the duration of
        // the listed ones as they end.
        let running_before = |id: i64| {
            store.rows.with_untracked(|rows| {
                rows.iter()
                    .any(|r| r.id == id && r.info.with_untracked(|s| s.ended_at.is_none()))
            })
        };
        let ending = match &message {
            ServerToTab::SessionEnded(e) if running_before(e.session_id) => Some(e.session_id),
            _ => None,
        };
        if let ServerToTab::SessionStarted { session } = &message {
            if session.ticket_id == Some(ticket_id) && !running_before(session.id) {
                session_count.update(|n| *n += 1);
            }
        }
        store.apply(&message);
        if let Some(id) = ending {
            let secs = store.rows.with_untracked(|rows| {
                rows.iter()
                    .find(|r| r.id == id)
                    .and_then(|r| r.info.with_untracked(|s| s.duration_seconds))
            });
            total_seconds.update(|t| *t += secs.unwrap_or_default());
        }
    });

    let number = ticket.number;
    let current = RwSignal::new(ticket.clone());
    let heading = move || current.with(|t| format!("#{number} {}", t.title));
    let page_title = {
        let viewer = data.viewer.clone();
        move || title(&heading(), &viewer)
    };
    let path = format!("/tickets/{}", ticket.id);
    let description = move || {
        current.with(|t| {
            t.description
                .clone()
                .map(|d| view! { <p class="ticket-description" id="ticket-description">{d}</p> })
        })
    };
    let status = move || current.with(|t| t.status.clone());
    view! {
        <Title text=page_title/>
        <TopBar viewer=data.viewer current="/tickets"/>
        <main class="page" id="main">
            <p class="breadcrumb">
                <a href="/tickets" rel="external">"Tickets"</a>
            </p>
            <div class="page-head">
                <div class="title-line">
                    <h1 id="ticket-heading" data-ticket-id=ticket.id>{heading}</h1>
                    <span
                        id="ticket-status-badge"
                        class=move || format!("badge ticket-status ticket-status-{}", status())
                    >
                        {status}
                    </span>
                </div>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            {description}
            <dl class="stats">
                <div class="stat">
                    <dt>"Total time"</dt>
                    <dd id="ticket-total">{move || hms(total_seconds.get())}</dd>
                </div>
                <div class="stat">
                    <dt>"Sessions"</dt>
                    <dd id="ticket-session-count">{move || session_count.get()}</dd>
                </div>
                <div class="stat">
                    <dt>"Status"</dt>
                    <dd id="ticket-status">{status}</dd>
                </div>
                <div class="stat">
                    <dt>"Created"</dt>
                    <dd>{day(ticket.created_at)}</dd>
                </div>
            </dl>
            {page.can_edit.then(|| view! { <TicketEditor current/> })}
            <h2 id="ticket-sessions-heading">"Sessions on this ticket"</h2>
            <p
                id="ticket-action-error"
                class="form-error"
                role="alert"
                hidden=move || own.error.with(Option::is_none)
            >
                {move || own.error.get()}
            </p>
            <SessionTable
                id="ticket-sessions"
                labelled_by="ticket-sessions-heading"
                store
                show_user=role.reads_whole_org()
                show_ticket=false
                actions
                now_ms
            />
            <Pager
                page=list_page
                per_page=list_per_page
                total=store.total
                noun="sessions"
                href=move |p| page_href(&path, p)
            />
            {is_admin.then(|| view! {
                <EndSessionDialog target=end_target on_ended=Callback::new(move |s| store.upsert(s))/>
            })}
        </main>
    }
    .into_any()
}

/// `#ticket-edit`: title and description (`PATCH /api/tickets/{id}`), and Close / Reopen.
#[component]
fn TicketEditor(current: RwSignal<Ticket>) -> impl IntoView {
    let start = current.get_untracked();
    let id = start.id;
    let title = RwSignal::new(start.title.clone());
    let description = RwSignal::new(start.description.clone().unwrap_or_default());
    let errors = FormErrors::new();
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let closed = move || current.with(|t| t.status == "closed");

    let send = move |body: UpdateTicketRequest, done: &'static str| {
        busy.set(true);
        errors.clear();
        notice.set(None);
        leptos::task::spawn_local(async move {
            let result = api::patch::<_, Ticket>(&format!("/api/tickets/{id}"), &body).await;
            busy.set(false);
            match result {
                Ok(ticket) => {
                    title.set(ticket.title.clone());
                    description.set(ticket.description.clone().unwrap_or_default());
                    current.set(ticket);
                    notice.set(Some(done.to_string()));
                }
                Err(f) => errors.failed(f, |field| match field {
                    "title" => Some("The title"),
                    "description" => Some("The description"),
                    "status" => Some("The status"),
                    _ => None,
                }),
            }
        });
    };
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let stored = current.get_untracked();
        let typed_title = title.get_untracked().trim().to_string();
        if typed_title.is_empty() {
            errors.clear();
            errors.add("title", "Enter a title.");
            return;
        }
        let typed = description.get_untracked().trim().to_string();
        let typed_description = (!typed.is_empty()).then_some(typed);
        let body = UpdateTicketRequest {
            title: (typed_title != stored.title).then_some(typed_title),
            description: (typed_description != stored.description).then_some(typed_description),
            status: None,
        };
        if body.title.is_none() && body.description.is_none() {
            errors.clear();
            notice.set(Some("Nothing to save: nothing was changed.".into()));
            return;
        }
        send(body, "Saved.");
    };
    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let (to, done) = if closed() {
            ("open", "Reopened.")
        } else {
            ("closed", "Closed.")
        };
        send(
            UpdateTicketRequest {
                status: Some(to.to_string()),
                ..UpdateTicketRequest::default()
            },
            done,
        );
    };

    view! {
        <form id="ticket-edit" class="card" novalidate aria-labelledby="ticket-edit-heading" on:submit=save>
            <h2 id="ticket-edit-heading">"Edit ticket"</h2>
            <div class="field">
                <label for="ticket-edit-title">"Title"</label>
                <input
                    id="ticket-edit-title"
                    name="title"
                    type="text"
                    maxlength="200"
                    required
                    aria-describedby="ticket-edit-title-error"
                    aria-invalid=errors.invalid("title")
                    value=start.title.clone()
                    prop:value=title
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                <FieldError id="ticket-edit-title-error".to_string() message=errors.message("title")/>
            </div>
            <div class="field">
                <label for="ticket-edit-description">"Description (optional)"</label>
                <textarea
                    id="ticket-edit-description"
                    name="description"
                    rows="3"
                    aria-describedby="ticket-edit-description-error"
                    aria-invalid=errors.invalid("description")
                    prop:value=description
                    on:input=move |ev| description.set(event_target_value(&ev))
                >
                    {start.description.clone().unwrap_or_default()}
                </textarea>
                <FieldError
                    id="ticket-edit-description-error".to_string()
                    message=errors.message("description")
                />
            </div>
            <FieldError id="ticket-edit-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="ticket-save" class="primary" disabled=busy>
                    "Save changes"
                </button>
                <button
                    type="button"
                    id="ticket-toggle-status"
                    class=move || if closed() { "" } else { "danger-outline" }
                    disabled=busy
                    on:click=toggle
                >
                    {move || if closed() { "Reopen ticket" } else { "Close ticket" }}
                </button>
                <p id="ticket-saved" class="form-success" role="status">{move || notice.get()}</p>
            </div>
        </form>
    }
}
