//! `/account`: one's own profile, a password change (`POST /api/auth/password`, which signs
//! out one's other logins), two-factor sign-in and one's devices with "Revoke".

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::people::{ChangePasswordRequest, PasswordChanged, MIN_PASSWORD_CHARS};

use crate::api;
use crate::components::device_table::DeviceTable;
use crate::components::field_error::FieldError;
use crate::components::form::{check_new_password, role_label, FormErrors, TextField, FORM};
use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::components::two_factor_account::TwoFactorSection;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::time::day;

#[component]
pub fn AccountPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.account else {
        return view! { <NotFound/> }.into_any();
    };
    let live = live_link(|_| {});
    let now_ms = clock();
    let devices = RwSignal::new(page.devices);
    let user = page.user;
    let timezone = match &user.timezone {
        Some(tz) => tz.clone(),
        None => format!("organization's: {}", page.org_timezone),
    };
    let optional = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());

    view! {
        <Title text=title("Account", &data.viewer)/>
        <TopBar viewer=data.viewer current="/account"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="account-heading">"Your account"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <section class="card" aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
                <dl id="account-profile" class="profile">
                    <div>
                        <dt>"Name"</dt>
                        <dd id="account-name">{user.name.clone()}</dd>
                    </div>
                    <div>
                        <dt>"E-mail"</dt>
                        <dd id="account-email">{user.email.clone()}</dd>
                    </div>
                    <div>
                        <dt>"Role"</dt>
                        <dd id="account-role">{role_label(user.role)}</dd>
                    </div>
                    <div>
                        <dt>"Timezone"</dt>
                        <dd id="account-timezone">{timezone}</dd>
                    </div>
                    <div>
                        <dt>"Game name"</dt>
                        <dd>{optional(&user.game_name)}</dd>
                    </div>
                    <div>
                        <dt>"Member since"</dt>
                        <dd>{day(user.created_at)}</dd>
                    </div>
                </dl>
                <p class="hint">"An admin changes names, roles and game identities on the Users page."</p>
            </section>
            <PasswordForm email=user.email.clone() devices/>
            <TwoFactorSection status=page.two_factor email=user.email.clone()/>
            <section class="card" aria-labelledby="devices-heading">
                <h2 id="devices-heading">"Your devices and logins"</h2>
                <p class="hint">
                    "Revoking a login signs that browser or desktop agent out at once."
                </p>
                <DeviceTable id="account-devices" labelled_by="devices-heading" devices now_ms/>
            </section>
        </main>
    }
    .into_any()
}

#[component]
fn PasswordForm(
    email: String,
    devices: RwSignal<Vec<shared::people::DeviceToken>>,
) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        done.set(None);
        let body = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        if body.current_password.is_empty() {
            errors.add("current_password", "Enter your current password.");
        }
        check_new_password(
            errors,
            ("new_password", "new_password_confirm"),
            &body.new_password,
            &confirm.get_untracked(),
        );
        if !errors.is_empty() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::post::<_, PasswordChanged>("/api/auth/password", &body).await;
            busy.set(false);
            match result {
                Ok(changed) => {
                    let n = changed.revoked_tokens;
                    let logins = if n == 1 { "login was" } else { "logins were" };
                    done.set(Some(format!(
                        "Password changed. {n} other {logins} signed out."
                    )));
                    current.set(String::new());
                    new_password.set(String::new());
                    confirm.set(String::new());
                    // Every other login of yours ended; this one stays.
                    devices.update(|d| d.retain(|t| t.current));
                }
                Err(f) => errors.failed(f, |field| match field {
                    "current_password" => Some("The current password"),
                    "new_password" => Some("The new password"),
                    _ => None,
                }),
            }
        });
    };

    view! {
        <form id="password-form" class="card" method="post" novalidate aria-labelledby="password-heading" on:submit=submit>
            <h2 id="password-heading">"Change your password"</h2>
            <input type="hidden" name="username" autocomplete="username" value=email/>
            <div class="form-grid">
                <TextField id="current-password" label="Current password" value=current errors
                    field="current_password" kind="password" autocomplete="current-password" required=true/>
                <TextField id="new-password" label="New password" value=new_password errors
                    field="new_password" kind="password" autocomplete="new-password" required=true
                    minlength=10 hint=format!("At least {MIN_PASSWORD_CHARS} characters.")/>
                <TextField id="new-password-confirm" label="Repeat the new password" value=confirm errors
                    field="new_password_confirm" kind="password" autocomplete="new-password" required=true/>
            </div>
            <p class="hint">"Your other logins (browsers and desktop agents) are signed out; this one stays."</p>
            <FieldError id="password-form-error".to_string() message=errors.message(FORM)/>
            <div class="form-actions">
                <button type="submit" id="password-save" class="primary" disabled=busy>
                    {move || if busy.get() { "Changing…" } else { "Change password" }}
                </button>
                <p id="password-changed" class="form-success" role="status">{move || done.get()}</p>
            </div>
        </form>
    }
}
