//! `/setup?token=…`: the first run. With the one-time link the hub printed at start-up, the
//! form creates the first organization and its owner, who is then signed in; without it (or
//! once an organization exists) the page explains and shows no form (403).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::LoginResponse;
use shared::people::{SetupRequest, MIN_PASSWORD_CHARS};

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{
    check_new_password, FormErrors, TextField, TimezoneList, FORM, TIMEZONE_LIST,
};
use crate::connect::hydrated;
use crate::data::PageData;
use crate::dom::go_to;
use crate::pages::not_found::NotFound;

#[component]
pub fn SetupPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.setup else {
        return view! { <NotFound/> }.into_any();
    };
    if !page.open {
        return view! {
            <Title text="Set up · Presence Hub"/>
            <main class="page narrow setup" id="main">
                <h1>"Set up Presence Hub"</h1>
                <div class="card">
                    <p id="setup-closed" class="notice">
                        "This setup link is not valid or was already used. Open the link the hub printed when it started, or log in."
                    </p>
                    <p>
                        <a href="/login" rel="external" class="button-link">"Go to the login page"</a>
                    </p>
                </div>
            </main>
        }
        .into_any();
    }
    view! {
        <Title text="Set up · Presence Hub"/>
        <main class="page narrow setup" id="main">
            <h1>"Set up Presence Hub"</h1>
            <p class="muted">
                "Create your organization and its owner account. You are signed in right after."
            </p>
            <SetupForm token=page.token/>
        </main>
    }
    .into_any()
}

fn label(field: &str) -> Option<&'static str> {
    Some(match field {
        "org_name" => "The organization name",
        "timezone" => "The timezone",
        "owner_name" => "Your name",
        "email" => "The e-mail",
        "password" => "The password",
        _ => return None,
    })
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    let org_name = RwSignal::new(String::new());
    let timezone = RwSignal::new("UTC".to_string());
    let owner_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let token = StoredValue::new(token);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let text = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        let body = SetupRequest {
            token: token.get_value(),
            org_name: text(org_name),
            timezone: Some(text(timezone)).filter(|t| !t.is_empty()),
            owner_name: text(owner_name),
            email: text(email),
            password: password.get_untracked(),
        };
        if body.org_name.is_empty() {
            errors.add("org_name", "Enter the organization's name.");
        }
        if body.owner_name.is_empty() {
            errors.add("owner_name", "Enter your name.");
        }
        if body.email.is_empty() {
            errors.add("email", "Enter your e-mail address.");
        }
        check_new_password(
            errors,
            ("password", "password_confirm"),
            &body.password,
            &confirm.get_untracked(),
        );
        if !errors.is_empty() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post::<_, LoginResponse>("/api/setup", &body).await {
                // Signed in (the hub set the session cookie): on to the status page.
                Ok(_) => go_to("/"),
                Err(f) => {
                    busy.set(false);
                    errors.failed(f, label);
                }
            }
        });
    };

    view! {
        <form
            id="setup-form"
            class="card"
            method="post"
            novalidate
            data-hydrated=move || ready.get().to_string()
            on:submit=submit
        >
            <h2>"Organization"</h2>
            <TextField id="setup-org-name" label="Organization name" value=org_name errors field="org_name"
                autocomplete="organization" required=true maxlength=200/>
            <TextField id="setup-timezone" label="Timezone" value=timezone errors field="timezone"
                list=TIMEZONE_LIST required=true
                hint="An IANA name such as UTC or Europe/Berlin: days and weeks of reports follow it."/>
            <TimezoneList/>
            <h2>"Owner account"</h2>
            <TextField id="setup-owner-name" label="Your name" value=owner_name errors field="owner_name"
                autocomplete="name" required=true maxlength=200/>
            <TextField id="setup-email" label="E-mail" value=email errors field="email" kind="email"
                autocomplete="username" required=true/>
            <TextField id="setup-password" label="Password" value=password errors field="password"
                kind="password" autocomplete="new-password" required=true minlength=10
                hint=format!("At least {MIN_PASSWORD_CHARS} characters.")/>
            <TextField id="setup-password-confirm" label="Repeat the password" value=confirm errors
                field="password_confirm" kind="password" autocomplete="new-password" required=true/>
            <FieldError id="setup-form-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button
                    type="submit"
                    id="setup-submit"
                    class="primary"
                    disabled=move || busy.get() || !ready.get()
                >
                    {move || if busy.get() { "Creating…" } else { "Create organization" }}
                </button>
            </div>
        </form>
    }
}
