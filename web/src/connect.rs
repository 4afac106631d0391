//! What every page starts once it is hydrated: its `/ws/tab` link and the browser clock.
//! On the server both stay in their first state ("connecting", no clock), so the first HTML
//! never depends on the time or on a socket.

use leptos::prelude::*;
use shared::protocol::ServerToTab;

use crate::store::LiveState;

/// Opens the page's live link after hydration; `on_message` gets every pushed message.
/// Returns the link's state for the `#live-state` badge.
pub fn live_link(on_message: impl Fn(ServerToTab) + Send + Sync + 'static) -> RwSignal<LiveState> {
    let live = RwSignal::new(LiveState::Connecting);
    #[cfg(feature = "hydrate")]
    {
        let on_message = Callback::new(on_message);
        // Lives as long as the page; dropping it closes the socket and removes the listeners.
        let handle = StoredValue::new_local(None::<crate::live::LiveHandle>);
        Effect::new(move || {
            untrack(|| handle.set_value(Some(crate::live::start(live, on_message))));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    drop(on_message);
    live
}

/// The browser clock in ms since the epoch, ticking every second once hydrated; `None` on
/// the server and until then.
pub fn clock() -> RwSignal<Option<i64>> {
    let now_ms = RwSignal::new(None);
    #[cfg(feature = "hydrate")]
    Effect::new(move || untrack(|| crate::time::start_clock(now_ms)));
    now_ms
}

/// False on the server and during hydration, true right after: forms of pages without a live
/// link keep their submit button disabled until their handlers are attached, so a click
/// before that never submits the plain HTML form.
pub fn hydrated() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move || ready.set(true));
    ready
}
