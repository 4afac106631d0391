//! `/`: who is active, idle or offline, updated live over `/ws/tab`; admins end sessions here.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::{ServerToTab, SessionEnded};
use shared::Role;

use crate::components::coverage_banner::CoverageBanner;
use crate::components::end_session::EndSessionDialog;
use crate::components::my_status::MyStatusForm;
use crate::components::{live_badge::LiveBadge, status_table::StatusTable, top_bar::TopBar};
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::title;
use crate::store::StatusStore;
use crate::time::threshold;

#[component]
pub fn StatusPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let can_end = data
        .viewer
        .as_ref()
        .is_some_and(|v| v.user.role.at_least(Role::Admin));
    let store = StatusStore::new(data.status, clock());
    let live = live_link(move |message| store.apply(message));

    let end_target = RwSignal::new(None);
    let on_end = can_end.then(|| Callback::new(move |t| end_target.set(Some(t))));
    // The admin's own answer updates the row at once; the push that follows changes nothing.
    let on_ended = Callback::new(move |s: shared::protocol::SessionInfo| {
        if let Some(ended_at) = s.ended_at {
            store.apply(ServerToTab::SessionEnded(SessionEnded {
                session_id: s.id,
                reason: s.end_note.unwrap_or_default(),
                ended_by: s.ended_by,
                ended_at,
            }));
        }
    });

    let me = data.viewer.as_ref().map(|v| v.user.id);
    let idle = move || threshold(store.idle_threshold_seconds.get());
    view! {
        <Title text=title("Status", &data.viewer)/>
        <TopBar viewer=data.viewer current="/"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="status-heading">"Team status"</h1>
                <div class="page-meta">
                    <span id="idle-threshold">"Idle after " {idle}</span>
                    <LiveBadge live/>
                </div>
            </div>
            <CoverageBanner alerts=store.coverage_alerts/>
            <StatusTable store on_end/>
            {me.map(|me| view! { <MyStatusForm store me/> })}
            {can_end.then(|| view! { <EndSessionDialog target=end_target on_ended/> })}
        </main>
    }
}
