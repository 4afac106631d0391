//! `/login`: a plain HTML form, so signing in works without JavaScript; with two-factor
//! sign-in, the code's form (`components::two_factor_login`) follows on the same page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::sso_signin::SsoSignIn;
use crate::components::two_factor_login::MfaForms;
use crate::data::PageData;

#[component]
pub fn LoginPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    // The password was right and two-factor sign-in is on: the code, on this same page.
    if let Some(mfa) = data.login_mfa {
        return view! {
            <Title text="Sign in · Presence Hub"/>
            <main class="page narrow login">
                <h1>"Presence Hub"</h1>
                <MfaForms mfa next=data.login_next/>
            </main>
        }
        .into_any();
    }
    let error = data.login_error;
    // Where to go once signed in (e.g. back to `/device?code=…`), carried through the form.
    let next = data.login_next;
    // The e-mail as typed, for "Sign in with {org}" (the field's markup stays as it is).
    let email = RwSignal::new(String::new());
    let sso_next = next.clone();

    view! {
        <Title text="Sign in · Presence Hub"/>
        <main class="page narrow login">
            <h1>"Presence Hub"</h1>
            <form class="card login-form" method="post" action="/login">
                <h2>"Sign in"</h2>
                {error.map(|message| view! {
                    <p class="form-error" id="login-error" role="alert">{message}</p>
                })}
                <div class="field">
                    <label for="email">"Email"</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        autofocus
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                {next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <button type="submit" class="primary">"Sign in"</button>
                <SsoSignIn email next=sso_next/>
            </form>
        </main>
    }
    .into_any()
}
