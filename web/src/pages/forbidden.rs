//! Shown with status 403 when the viewer's role is too low for a page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::top_bar::TopBar;
use crate::data::PageData;

#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    let data = use_context::<PageData>().unwrap_or_default();
    let message = data
        .forbidden
        .unwrap_or_else(|| "Your role does not allow this page.".to_string());
    view! {
        <Title text="Not allowed · Presence Hub"/>
        <TopBar viewer=data.viewer/>
        <main class="page narrow" id="main">
            <h1>"Not allowed"</h1>
            <p id="forbidden-message" class="form-error">{message}</p>
            <p>
                <a href="/" rel="external">"Go to the status page"</a>
            </p>
        </main>
    }
}

/// What a page shows when the hub gave it no data: 403 when the role is too low, else 404.
#[component]
pub fn Missing() -> impl IntoView {
    let forbidden = use_context::<PageData>().is_some_and(|d| d.forbidden.is_some());
    if forbidden {
        leptos::either::Either::Left(view! { <Forbidden/> })
    } else {
        leptos::either::Either::Right(view! { <crate::pages::not_found::NotFound/> })
    }
}
