//! Glue between the axum handlers and the Leptos web app (`web` crate): options and
//! server-side rendering of a page with the request's [`PageData`].

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use web::data::PageData;

/// Options the shell needs: `<HydrationScripts>` then loads `/pkg/web.js` and
/// `/pkg/web_bg.wasm`.
pub fn leptos_options() -> LeptosOptions {
    init_executor();
    LeptosOptions::builder()
        .output_name("web")
        // Where build.rs wrote pkg/; only read for an optional wasm-split manifest.
        .site_root(env!("OUT_DIR"))
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .build()
}

/// Renders the page for `req`'s path (`/`, `/login`, anything else: the 404 page with status
/// 404) with `data` as context. The HTML is complete when sent (no streaming, no JS needed);
/// the data is also serialized into the page for hydration.
pub async fn render_page(options: LeptosOptions, data: PageData, req: Request) -> Response {
    init_executor();
    let shell_options = options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || provide_context(data.clone()),
        move || web::shell(shell_options.clone()),
    );
    let mut response = handler(req).await.into_response();
    // Pages show who is signed in and live data: never cache them.
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// [`render_page`] for a path when the request itself is gone (e.g. its body was read by a
/// `Form` extractor): re-render `/login` with `login_error` after a failed POST.
pub async fn render_path(options: LeptosOptions, data: PageData, path: &str) -> Response {
    let req = Request::builder()
        .uri(path)
        .body(Body::empty())
        .unwrap_or_else(|_| Request::new(Body::empty()));
    render_page(options, data, req).await
}

/// Leptos spawns its tasks through a global `any_spawner` executor, which leptos_axum sets
/// up (for tokio) only while generating the route list; the hub does not use that list
/// otherwise. Once per process.
fn init_executor() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let _ = leptos_axum::generate_route_list(web::App);
    });
}
