//! Presence Hub's web app. Pages render on the server (feature `ssr`) and hydrate in the
//! browser (feature `hydrate`, built for wasm32).
//!
//! The server provides [`data::PageData`] as context for each render; [`App`] passes it
//! through a `SharedValue`, so the browser hydrates with exactly the data the server rendered.

#![recursion_limit = "256"]

pub mod api;
mod app;
pub mod backoff;
mod components;
mod connect;
pub mod data;
mod dom;
#[cfg(feature = "hydrate")]
mod live;
mod pages;
pub mod policy_store;
pub mod query;
pub mod server_time;
pub mod session_list;
pub mod store;
pub mod time;

pub use app::{shell, App};

/// Entry point the hydration script calls once `web_bg.wasm` is loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
