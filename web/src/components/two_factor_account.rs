//! `/account`'s "Two-factor sign-in" section (SPEC §17): whether it is on; "Set up" shows the
//! QR code (inline SVG) and the key as text, and a code from the app turns it on; the ten
//! recovery codes are then shown once; "New recovery codes" (with a code) and "Turn off" (with
//! the password). Every change goes through the JSON API (`/api/me/2fa…`) after hydration.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::two_factor::{
    DisableTwoFactorRequest, RecoveryCodes, TotpCodeRequest, TwoFactorSetup, TwoFactorStatus,
};

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{FormErrors, FORM};
use crate::connect::hydrated;

/// `section#two-factor`: the state and what can be done with it.
#[component]
pub fn TwoFactorSection(status: TwoFactorStatus, email: String) -> impl IntoView {
    let enabled = RwSignal::new(status.enabled);
    let codes_left = RwSignal::new(status.recovery_codes_left);
    let required = status.required;
    let setup = RwSignal::new(None::<TwoFactorSetup>);
    // Recovery codes just handed out: shown until the page is left, never again.
    let shown_codes = RwSignal::new(None::<Vec<String>>);
    let notice = RwSignal::new(None::<String>);
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let email = StoredValue::new(email);

    let start_setup = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        errors.clear();
        notice.set(None);
        leptos::task::spawn_local(async move {
            let result = api::post_empty::<TwoFactorSetup>("/api/me/2fa/setup").await;
            busy.set(false);
            match result {
                Ok(s) => setup.set(Some(s)),
                Err(f) => errors.failed(f, |_| None),
            }
        });
    };
    let on_enabled = Callback::new(move |codes: Vec<String>| {
        codes_left.set(u32::try_from(codes.len()).unwrap_or(0));
        setup.set(None);
        shown_codes.set(Some(codes));
        enabled.set(true);
        notice.set(Some(
            "Two-factor sign-in is on: signing in now asks for a code after your password.".into(),
        ));
    });
    let on_renewed = Callback::new(move |codes: Vec<String>| {
        codes_left.set(u32::try_from(codes.len()).unwrap_or(0));
        shown_codes.set(Some(codes));
        notice.set(Some(
            "New recovery codes: the earlier ones no longer work.".into(),
        ));
    });
    let on_disabled = Callback::new(move |()| {
        enabled.set(false);
        codes_left.set(0);
        shown_codes.set(None);
        notice.set(Some(
            "Two-factor sign-in is off: signing in asks for your password only.".into(),
        ));
    });

    let state_text = move || {
        if enabled.get() {
            let left = codes_left.get();
            let codes = if left == 1 { "code" } else { "codes" };
            format!(
                "On: signing in asks for a code from your authenticator app after your password. {left} recovery {codes} left."
            )
        } else {
            "Off: signing in asks for your password only.".to_string()
        }
    };
    let actions = move || {
        if enabled.get() {
            view! {
                <RenewForm on_renewed/>
                {(!required).then(|| view! { <DisableForm email=email.get_value() on_disabled/> })}
                {required.then(|| view! {
                    <p class="hint" id="two-factor-locked">
                        "Your organization requires two-factor sign-in: it cannot be turned off."
                    </p>
                })}
            }
            .into_any()
        } else if let Some(s) = setup.get() {
            view! { <EnableForm setup=s on_enabled/> }.into_any()
        } else {
            view! {
                <div class="form-actions">
                    <button
                        type="button"
                        id="two-factor-setup"
                        class="primary"
                        disabled=move || busy.get() || !ready.get()
                        on:click=start_setup
                    >
                        {move || if busy.get() { "Preparing…" } else { "Set up" }}
                    </button>
                </div>
            }
            .into_any()
        }
    };

    view! {
        <section id="two-factor" class="card" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">"Two-factor sign-in"</h2>
            {move || (required && !enabled.get()).then(|| view! {
                <p class="notice" id="two-factor-required" role="status">
                    "Your organization requires two-factor sign-in. Set it up here to use the hub: until then the other pages lead here."
                </p>
            })}
            <p id="two-factor-state" data-enabled=move || enabled.get().to_string()>
                {state_text}
            </p>
            <FieldError id="two-factor-error".to_string() message=errors.message(FORM)/>
            <p id="two-factor-done" class="form-success" role="status">{move || notice.get()}</p>
            {move || shown_codes.get().map(|codes| view! { <RecoveryCodeList codes/> })}
            {actions}
        </section>
    }
}

/// The QR code and the key of a new set-up, and the code that turns it on.
#[component]
fn EnableForm(setup: TwoFactorSetup, on_enabled: Callback<Vec<String>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let typed = code.get_untracked();
        if typed.trim().is_empty() {
            errors.add("code", "Enter the 6-digit code your app shows.");
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = TotpCodeRequest { code: typed };
            let result = api::post::<_, RecoveryCodes>("/api/me/2fa/enable", &body).await;
            busy.set(false);
            match result {
                Ok(answer) => on_enabled.run(answer.recovery_codes),
                Err(f) => errors.failed(f, |field| (field == "code").then_some("The code")),
            }
        });
    };

    view! {
        <form id="two-factor-enable-form" class="two-factor-setup" novalidate on:submit=submit>
            <h3>"1. Add Presence Hub to your authenticator app"</h3>
            <p class="hint">
                "Scan the QR code with an app such as Aegis, Google Authenticator, Microsoft Authenticator or 1Password, or type the key."
            </p>
            <div
                id="two-factor-qr"
                class="two-factor-qr"
                role="img"
                aria-label="QR code of the key for your authenticator app"
                inner_html=setup.qr_svg
            ></div>
            <p class="two-factor-key">
                "Key: " <code id="two-factor-secret">{setup.secret}</code>
            </p>
            <h3>"2. Enter the code the app shows"</h3>
            <CodeField id="two-factor-code" value=code errors/>
            <FieldError id="two-factor-enable-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="two-factor-enable" class="primary" disabled=busy>
                    {move || if busy.get() { "Turning on…" } else { "Enable" }}
                </button>
            </div>
        </form>
    }
}

/// The recovery codes just handed out, with the note to keep them.
#[component]
fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    view! {
        <div id="recovery-codes" class="recovery-codes notice">
            <h3>"Your recovery codes"</h3>
            <p>
                "Keep them somewhere safe (a password manager, or printed). Each one signs you in once when your phone is not at hand. They are shown only now."
            </p>
            <ol class="recovery-code-list">
                {codes
                    .into_iter()
                    .map(|code| view! { <li><code>{code}</code></li> })
                    .collect_view()}
            </ol>
        </div>
    }
}

/// "New recovery codes", against a current code of the app.
#[component]
fn RenewForm(on_renewed: Callback<Vec<String>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let typed = code.get_untracked();
        if typed.trim().is_empty() {
            errors.add("code", "Enter the 6-digit code your app shows.");
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = TotpCodeRequest { code: typed };
            let result = api::post::<_, RecoveryCodes>("/api/me/2fa/recovery-codes", &body).await;
            busy.set(false);
            match result {
                Ok(answer) => {
                    code.set(String::new());
                    on_renewed.run(answer.recovery_codes);
                }
                Err(f) => errors.failed(f, |field| (field == "code").then_some("The code")),
            }
        });
    };

    view! {
        <form id="two-factor-renew-form" class="two-factor-form" novalidate on:submit=submit>
            <h3>"New recovery codes"</h3>
            <p class="hint">"The earlier codes stop working."</p>
            <CodeField id="two-factor-renew-code" value=code errors/>
            <FieldError id="two-factor-renew-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="two-factor-renew" disabled=busy>
                    "New recovery codes"
                </button>
            </div>
        </form>
    }
}

/// "Turn off", with the password.
#[component]
fn DisableForm(email: String, on_disabled: Callback<()>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let typed = password.get_untracked();
        if typed.is_empty() {
            errors.add("password", "Enter your password.");
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = DisableTwoFactorRequest {
                password: Some(typed),
                code: None,
            };
            let result = api::post_no_content("/api/me/2fa/disable", &body).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    on_disabled.run(());
                }
                Err(f) => errors.failed(f, |field| (field == "password").then_some("The password")),
            }
        });
    };

    view! {
        <form id="two-factor-disable-form" class="two-factor-form" novalidate on:submit=submit>
            <h3>"Turn off"</h3>
            <input type="hidden" name="username" autocomplete="username" value=email/>
            <div class="field">
                <label for="two-factor-password">"Your password"</label>
                <input
                    id="two-factor-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    aria-describedby="two-factor-password-error"
                    aria-invalid=errors.invalid("password")
                    prop:value=password
                    on:input=move |ev| {
                        password.set(event_target_value(&ev));
                        errors.remove("password");
                    }
                />
                <FieldError id="two-factor-password-error".to_string() message=errors.message("password")/>
            </div>
            <FieldError id="two-factor-disable-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="two-factor-disable" class="danger-outline" disabled=busy>
                    "Turn off two-factor sign-in"
                </button>
            </div>
        </form>
    }
}

/// A 6-digit code input (`inputmode=numeric`, `autocomplete=one-time-code`) with its error.
#[component]
fn CodeField(id: &'static str, value: RwSignal<String>, errors: FormErrors) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>"Code from the app"</label>
            <input
                id=id
                name="code"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                maxlength="8"
                aria-describedby=error_id.clone()
                aria-invalid=errors.invalid("code")
                prop:value=value
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.remove("code");
                }
            />
            <FieldError id=error_id message=errors.message("code")/>
        </div>
    }
}
