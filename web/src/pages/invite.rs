//! `/invite/{token}`: a person sets their password from an invite or reset link, and is signed
//! in. An unknown, used or expired link says so (404) and shows no form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::people::{InviteInfo, LinkKind, SetPasswordRequest, MIN_PASSWORD_CHARS};
use shared::two_factor::LoginAnswer;

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{check_new_password, FormErrors, TextField, FORM};
use crate::connect::hydrated;
use crate::data::PageData;
use crate::dom::go_to;
use crate::pages::not_found::NotFound;
use crate::time::absolute;

#[component]
pub fn InvitePage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.invite else {
        return view! { <NotFound/> }.into_any();
    };
    let Some(invite) = page.invite else {
        return view! {
            <Title text="Link not valid · Presence Hub"/>
            <main class="page narrow invite" id="main">
                <h1>"Presence Hub"</h1>
                <div class="card">
                    <p id="invite-closed" class="notice">
                        "This link was already used or has expired. Ask an admin for a new one."
                    </p>
                    <p>
                        <a href="/login" rel="external" class="button-link">"Go to the login page"</a>
                    </p>
                </div>
            </main>
        }
        .into_any();
    };
    let heading = match invite.kind {
        LinkKind::Invite => format!("Welcome to {}", invite.org_name),
        LinkKind::Reset => "Set a new password".to_string(),
    };
    view! {
        <Title text=format!("{heading} · Presence Hub")/>
        <main class="page narrow invite" id="main">
            <h1 id="invite-heading">{heading}</h1>
            <InviteForm token=page.token invite/>
        </main>
    }
    .into_any()
}

#[component]
fn InviteForm(token: String, invite: InviteInfo) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let path = StoredValue::new(format!("/api/auth/invite/{token}"));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let body = SetPasswordRequest {
            password: password.get_untracked(),
        };
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
            match api::post::<_, LoginAnswer>(&path.get_value(), &body).await {
                Ok(LoginAnswer::LoggedIn(_)) => go_to("/"),
                // Two-factor sign-in is on: the new password and the app's code at `/login`.
                Ok(LoginAnswer::MfaRequired(_)) => go_to("/login"),
                Err(f) => {
                    busy.set(false);
                    errors.failed(f, |field| (field == "password").then_some("The password"));
                }
            }
        });
    };
    let greeting = match invite.kind {
        LinkKind::Invite => format!(
            "Hello {}, you were invited to {}. Choose a password to sign in.",
            invite.name, invite.org_name
        ),
        LinkKind::Reset => format!(
            "Hello {}, choose a new password for your account at {}. Your other logins will be signed out.",
            invite.name, invite.org_name
        ),
    };

    view! {
        <form
            id="invite-form"
            class="card"
            method="post"
            novalidate
            data-hydrated=move || ready.get().to_string()
            on:submit=submit
        >
            <p id="invite-greeting">{greeting}</p>
            <dl class="profile">
                <div>
                    <dt>"E-mail"</dt>
                    <dd id="invite-email">{invite.email.clone()}</dd>
                </div>
                <div>
                    <dt>"Link valid until"</dt>
                    <dd>{absolute(invite.expires_at)}</dd>
                </div>
            </dl>
            // Lets password managers store the new password with the right account.
            <input type="hidden" name="username" autocomplete="username" value=invite.email/>
            <TextField id="invite-password" label="Password" value=password errors field="password"
                kind="password" autocomplete="new-password" required=true minlength=10
                hint=format!("At least {MIN_PASSWORD_CHARS} characters.")/>
            <TextField id="invite-password-confirm" label="Repeat the password" value=confirm errors
                field="password_confirm" kind="password" autocomplete="new-password" required=true/>
            <FieldError id="invite-form-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button
                    type="submit"
                    id="invite-submit"
                    class="primary"
                    disabled=move || busy.get() || !ready.get()
                >
                    {move || if busy.get() { "Saving…" } else { "Set password and sign in" }}
                </button>
            </div>
        </form>
    }
}
