//! `/`: who is active, idle or offline, updated live over `/ws/tab`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{live_badge::LiveBadge, status_table::StatusTable, top_bar::TopBar};
use crate::data::PageData;
use crate::store::StatusStore;
use crate::time::threshold;

#[component]
pub fn StatusPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let title = match &data.viewer {
        Some(v) => format!("Status · {} · Presence Hub", v.org_name),
        None => "Status · Presence Hub".to_string(),
    };
    let store = StatusStore::new(data.status);

    #[cfg(feature = "hydrate")]
    {
        // Lives as long as the page; dropping it closes the socket and removes the listeners.
        let live = StoredValue::new_local(None::<crate::live::LiveHandle>);
        Effect::new(move || {
            untrack(|| {
                crate::time::start_clock(store.now_ms);
                live.set_value(Some(crate::live::start(store)));
            })
        });
    }

    let idle = move || threshold(store.idle_threshold_seconds.get());
    view! {
        <Title text=title/>
        <TopBar viewer=data.viewer/>
        <main class="page">
            <div class="page-head">
                <h1 id="status-heading">"Team status"</h1>
                <div class="page-meta">
                    <span id="idle-threshold">"Idle after " {idle}</span>
                    <LiveBadge live=store.live/>
                </div>
            </div>
            <StatusTable store/>
        </main>
    }
}
