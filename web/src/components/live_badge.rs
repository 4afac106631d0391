//! `#live-state`: whether live updates are flowing.

use leptos::prelude::*;

use crate::store::LiveState;

#[component]
pub fn LiveBadge(live: RwSignal<LiveState>) -> impl IntoView {
    view! {
        <span
            id="live-state"
            class="live-state"
            data-live=move || live.get().as_str()
            role="status"
            aria-live="polite"
        >
            <span class="live-dot" aria-hidden="true"></span>
            <span class="live-label">{move || live.get().label()}</span>
        </span>
    }
}
