//! `/tickets/{id}`: one ticket, the time spent on it, and its sessions (a member sees only
//! theirs), live like `/sessions`. Another organization's ticket is not found (404).

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::Role;

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

    let heading = format!("#{} {}", ticket.number, ticket.title);
    let path = format!("/tickets/{}", ticket.id);
    let description = ticket.description.clone();
    view! {
        <Title text=title(&heading, &data.viewer)/>
        <TopBar viewer=data.viewer current="/tickets"/>
        <main class="page" id="main">
            <p class="breadcrumb">
                <a href="/tickets" rel="external">"Tickets"</a>
            </p>
            <div class="page-head">
                <h1 id="ticket-heading" data-ticket-id=ticket.id>{heading}</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            {description.map(|d| view! { <p class="ticket-description">{d}</p> })}
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
                    <dd>{ticket.status.clone()}</dd>
                </div>
                <div class="stat">
                    <dt>"Created"</dt>
                    <dd>{day(ticket.created_at)}</dd>
                </div>
            </dl>
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
