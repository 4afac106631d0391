//! `/device`: sign in a desktop agent without a password (SPEC §17). The agent shows a code;
//! the person, signed in here, sees which device asks (its name, address and when) and
//! approves (`POST /api/auth/device/approve`) or denies (`/deny`) it. Without a code, or with
//! one that cannot be answered, the page asks for the code with a plain GET form (which works
//! before hydration too) and says why.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::device_flow::{DeviceDecisionRequest, DeviceLoginRequest};

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::top_bar::TopBar;
use crate::connect::hydrated;
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::time::absolute;

#[component]
pub fn DevicePage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.device else {
        return view! { <NotFound/> }.into_any();
    };
    let body = match page.request {
        Some(request) => view! { <Decision request/> }.into_any(),
        None => view! { <CodeForm code=page.code error=page.error/> }.into_any(),
    };
    view! {
        <Title text=title("Sign in a device", &data.viewer)/>
        <TopBar viewer=data.viewer/>
        <main class="page narrow device" id="main">
            <h1 id="device-heading">"Sign in a device"</h1>
            {body}
        </main>
    }
    .into_any()
}

/// The code as the agent shows it; sent as `?code=` to this page again.
#[component]
fn CodeForm(code: String, error: Option<String>) -> impl IntoView {
    let described = if error.is_some() {
        "device-code-hint device-code-error"
    } else {
        "device-code-hint"
    };
    view! {
        <form id="device-code-form" class="card" method="get" action="/device">
            <p id="device-code-hint">
                "Enter the code your desktop agent shows (" <code>"presence-agent login"</code> ")."
            </p>
            {error.map(|message| view! {
                <p id="device-code-error" class="form-error" role="alert">{message}</p>
            })}
            <div class="field">
                <label for="device-code">"Code"</label>
                <input
                    id="device-code"
                    name="code"
                    value=code
                    placeholder="BCDF-GHJK"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    required
                    aria-describedby=described
                />
            </div>
            <div class="form-actions">
                <button type="submit" id="device-continue" class="primary">"Continue"</button>
            </div>
        </form>
    }
}

/// Who asks, and the two answers. Once answered, only what happened stays on the page.
#[component]
fn Decision(request: DeviceLoginRequest) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let ready = hydrated();
    let code = StoredValue::new(request.user_code.clone());
    let client = StoredValue::new(request.client_name.clone());

    let answer = move |approve: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        let path = if approve {
            "/api/auth/device/approve"
        } else {
            "/api/auth/device/deny"
        };
        let body = DeviceDecisionRequest {
            user_code: code.get_value(),
        };
        leptos::task::spawn_local(async move {
            let result = api::post_no_content(path, &body).await;
            busy.set(false);
            match result {
                Ok(()) => done.set(Some(if approve {
                    format!(
                        "Approved: {} is now signed in as you. You can close this page; \
                         the device is listed on your account page, where you can revoke it.",
                        client.get_value()
                    )
                } else {
                    format!("Denied: {} was not signed in.", client.get_value())
                })),
                Err(f) => failure.set(Some(f.message)),
            }
        });
    };
    let address = request
        .client_ip
        .clone()
        .unwrap_or_else(|| "unknown".to_string());

    view! {
        <p
            id="device-done"
            class="notice"
            role="status"
            hidden=move || done.with(Option::is_none)
        >
            {move || done.get()}
        </p>
        <section
            id="device-request"
            class="card"
            aria-labelledby="device-request-heading"
            hidden=move || done.with(Option::is_some)
            data-hydrated=move || ready.get().to_string()
        >
            <h2 id="device-request-heading">"A device asks to sign in as you"</h2>
            <dl class="profile">
                <div>
                    <dt>"Device"</dt>
                    <dd id="device-client">{request.client_name.clone()}</dd>
                </div>
                <div>
                    <dt>"From address"</dt>
                    <dd id="device-address">{address}</dd>
                </div>
                <div>
                    <dt>"Asked at"</dt>
                    <dd id="device-asked">{absolute(request.created_at)}</dd>
                </div>
                <div>
                    <dt>"Code"</dt>
                    <dd id="device-user-code">{request.user_code.clone()}</dd>
                </div>
                <div>
                    <dt>"Code valid until"</dt>
                    <dd>{absolute(request.expires_at)}</dd>
                </div>
            </dl>
            <p class="hint">
                "Approve only if you started this sign-in yourself, on a computer you use, and the code matches the one it shows: the device gets a login of its own as you."
            </p>
            <FieldError id="device-failure".to_string() message=failure/>
            <div class="form-actions">
                <button
                    type="button"
                    id="device-approve"
                    class="primary"
                    disabled=move || busy.get() || !ready.get()
                    on:click=move |_| answer(true)
                >
                    "Approve"
                </button>
                <button
                    type="button"
                    id="device-deny"
                    class="danger"
                    disabled=move || busy.get() || !ready.get()
                    on:click=move |_| answer(false)
                >
                    "Deny"
                </button>
            </div>
        </section>
    }
}
