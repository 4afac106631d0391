//! The coloured dot and the word of a presence status.

use leptos::prelude::*;
use shared::PresenceStatus;

#[component]
pub fn StatusDot(
    status: impl Fn() -> PresenceStatus + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let class = {
        let status = status.clone();
        move || dot_class(status())
    };
    view! {
        <span class=class aria-hidden="true"></span>
        <span class="status-word">{move || status().as_str()}</span>
    }
}

pub fn dot_class(status: PresenceStatus) -> &'static str {
    match status {
        PresenceStatus::Active => "dot dot-active",
        PresenceStatus::Idle => "dot dot-idle",
        PresenceStatus::Offline => "dot dot-offline",
    }
}
