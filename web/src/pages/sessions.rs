//! `/sessions`: the viewer's own Start/Stop, the filtered list (server-rendered per the query
//! parameters, then live), paging, CSV export, manual entry, and an admin's "End session".

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::Role;

use crate::components::end_session::EndSessionDialog;
use crate::components::live_badge::LiveBadge;
use crate::components::manual_entry::ManualEntry;
use crate::components::own_session::{OwnSession, OwnSessionState};
use crate::components::pager::Pager;
use crate::components::session_filters::SessionFilters;
use crate::components::session_table::{RowActions, SessionTable};
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::session_list::SessionListStore;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let (Some(page), Some(viewer)) = (data.sessions, data.viewer.clone()) else {
        return view! { <NotFound/> }.into_any();
    };
    let viewer_id = viewer.user.id;
    let role = viewer.user.role;
    let now_ms = clock();
    let store = SessionListStore::new(page.list.clone(), page.query.clone());
    let own = OwnSessionState::new(page.own_active, Callback::new(move |s| store.upsert(s)));
    let end_target = RwSignal::new(None);
    let is_admin = role.at_least(Role::Admin);
    let on_end = is_admin.then(|| Callback::new(move |t| end_target.set(Some(t))));
    let actions = RowActions {
        viewer_id,
        on_end,
        on_stop: Callback::new(move |id| own.stop(id)),
    };
    let live = live_link(move |message| {
        store.apply(&message);
        match &message {
            ServerToTab::SessionStarted { session }
                if session.user_id == viewer_id
                    && own.own.with_untracked(|o| o.as_ref() != Some(session)) =>
            {
                own.own.set(Some(session.clone()));
            }
            ServerToTab::SessionEnded(ended) => {
                let mine = own
                    .own
                    .with_untracked(|o| o.as_ref().is_some_and(|o| o.id == ended.session_id));
                if mine {
                    own.own.set(None);
                }
            }
            _ => {}
        }
    });

    let query = page.query.clone();
    let show_user = role.reads_whole_org();
    let href_query = query.clone();
    view! {
        <Title text=title("Sessions", &data.viewer)/>
        <TopBar viewer=data.viewer current="/sessions"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="sessions-heading">"Sessions"</h1>
                <div class="page-meta">
                    <a id="sessions-csv" class="button-link" href=query.csv_href() download="sessions.csv">
                        "Download CSV"
                    </a>
                    <LiveBadge live/>
                </div>
            </div>
            <OwnSession state=own tickets=page.tickets.clone() now_ms/>
            <SessionFilters query=query.clone() users=page.users tickets=page.tickets.clone()/>
            <SessionTable
                id="sessions-table"
                labelled_by="sessions-heading"
                store
                show_user
                show_ticket=true
                actions
                now_ms
            />
            <Pager
                page=query.page
                per_page=query.per_page
                total=store.total
                noun="sessions"
                href=move |p| href_query.page_href(p)
            />
            <ManualEntry tickets=page.tickets on_saved=Callback::new(move |s| store.upsert(s))/>
            {is_admin.then(|| view! {
                <EndSessionDialog target=end_target on_ended=Callback::new(move |s| store.upsert(s))/>
            })}
        </main>
    }
    .into_any()
}
