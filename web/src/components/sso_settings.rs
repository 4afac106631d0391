//! The "Single sign-on" section of `/settings/org` (owners only, SPEC §17): the organization's
//! OpenID Connect provider (`PUT`/`DELETE /api/org/sso`), the callback URL to register at the
//! provider, and whether password logins are refused (owners keep theirs). The client secret
//! is write-only: an empty field keeps the stored one.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::sso::{SsoConfigRequest, SsoSection, SsoSettings};

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{CopyLink, FormErrors, TextField, FORM};
use crate::connect::hydrated;
use crate::time::day;

/// "a.test, b.test" → ["a.test", "b.test"] (commas, spaces or new lines between them).
fn split_domains(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

fn field_label(field: &str) -> Option<&'static str> {
    match field {
        "issuer" => Some("The issuer URL"),
        "client_id" => Some("The client ID"),
        "client_secret" => Some("The client secret"),
        "allowed_domains" => Some("The allowed domains"),
        _ => None,
    }
}

#[component]
pub fn SsoSettingsSection(section: SsoSection) -> impl IntoView {
    let saved = RwSignal::new(section.settings.clone());
    let current = section.settings.clone();
    let issuer = RwSignal::new(
        current
            .as_ref()
            .map(|s| s.issuer.clone())
            .unwrap_or_default(),
    );
    let client_id = RwSignal::new(
        current
            .as_ref()
            .map(|s| s.client_id.clone())
            .unwrap_or_default(),
    );
    let secret = RwSignal::new(String::new());
    let domains = RwSignal::new(
        current
            .as_ref()
            .map(|s| s.allowed_domains.join(", "))
            .unwrap_or_default(),
    );
    let sso_only = RwSignal::new(current.as_ref().is_some_and(|s| s.sso_only));
    let errors = FormErrors::new();
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();

    let show = move |settings: Option<SsoSettings>| {
        issuer.set(
            settings
                .as_ref()
                .map(|s| s.issuer.clone())
                .unwrap_or_default(),
        );
        client_id.set(
            settings
                .as_ref()
                .map(|s| s.client_id.clone())
                .unwrap_or_default(),
        );
        domains.set(
            settings
                .as_ref()
                .map(|s| s.allowed_domains.join(", "))
                .unwrap_or_default(),
        );
        sso_only.set(settings.as_ref().is_some_and(|s| s.sso_only));
        secret.set(String::new());
        saved.set(settings);
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        notice.set(None);
        let body = SsoConfigRequest {
            issuer: issuer.get_untracked().trim().to_string(),
            client_id: client_id.get_untracked().trim().to_string(),
            // Empty: the stored secret stays (it is never shown).
            client_secret: Some(secret.get_untracked()).filter(|s| !s.is_empty()),
            allowed_domains: split_domains(&domains.get_untracked()),
            sso_only: sso_only.get_untracked(),
        };
        if body.issuer.is_empty() {
            errors.add("issuer", "Enter the provider's issuer URL.");
        }
        if body.client_id.is_empty() {
            errors.add(
                "client_id",
                "Enter the client ID the provider gave the hub.",
            );
        }
        if !errors.is_empty() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::put::<_, SsoSettings>("/api/org/sso", &body).await;
            busy.set(false);
            match result {
                Ok(settings) => {
                    notice.set(Some(if settings.sso_only {
                        "Saved. Only single sign-on from now on; owners can still use their password.".to_string()
                    } else {
                        "Saved. People can sign in with the provider or with a password.".to_string()
                    }));
                    show(Some(settings));
                }
                Err(f) => errors.failed(f, field_label),
            }
        });
    };

    let remove = move |_| {
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        notice.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::delete_no_content("/api/org/sso").await;
            busy.set(false);
            match result {
                Ok(()) => {
                    notice.set(Some(
                        "Removed. Everyone signs in with a password again.".to_string(),
                    ));
                    show(None);
                }
                Err(f) => errors.failed(f, field_label),
            }
        });
    };

    let state_line = move || match saved.get() {
        Some(s) => format!(
            "Set up (last saved {}). Client secret: {}.",
            day(s.updated_at),
            if s.client_secret_set {
                "stored"
            } else {
                "none"
            }
        ),
        None => "Not set up: everyone signs in with a password.".to_string(),
    };

    view! {
        <section class="card narrow-card sso-section" aria-labelledby="sso-heading">
            <h2 id="sso-heading">"Single sign-on"</h2>
            <p class="hint">
                "People sign in through your identity provider (OpenID Connect: Entra ID, Google Workspace, Okta, Keycloak, Authentik …). "
                "Register the hub at the provider as a web application with this redirect URI:"
            </p>
            <CopyLink id="sso-callback-url" label="Redirect URI (callback URL)" link=section.callback_url.clone()/>
            <p id="sso-state" class="hint" role="status">{state_line}</p>
            <form
                id="sso-form"
                novalidate
                data-hydrated=move || ready.get().to_string()
                on:submit=submit
            >
                <TextField id="sso-issuer" label="Issuer URL" value=issuer errors field="issuer"
                    kind="url" required=true maxlength=500
                    placeholder="https://login.example.com/realms/acme".to_string()
                    hint="Exactly as the provider's discovery document names it (https://; http:// only on this machine)."/>
                <TextField id="sso-client-id" label="Client ID" value=client_id errors field="client_id"
                    required=true maxlength=500 autocomplete="off"/>
                <div class="field">
                    <label for="sso-client-secret">"Client secret"</label>
                    <input
                        id="sso-client-secret"
                        name="client_secret"
                        type="password"
                        autocomplete="new-password"
                        aria-describedby="sso-client-secret-hint sso-client-secret-error"
                        aria-invalid=errors.invalid("client_secret")
                        placeholder=move || {
                            saved.with(|s| s.as_ref().is_some_and(|s| s.client_secret_set))
                                .then_some("unchanged")
                        }
                        prop:value=secret
                        on:input=move |ev| {
                            secret.set(event_target_value(&ev));
                            errors.remove("client_secret");
                        }
                    />
                    <p id="sso-client-secret-hint" class="hint">
                        "Write-only: it is never shown again. Leave it empty to keep the stored one."
                    </p>
                    <FieldError id="sso-client-secret-error".to_string() message=errors.message("client_secret")/>
                </div>
                <TextField id="sso-domains" label="Allowed e-mail domains" value=domains errors
                    field="allowed_domains" placeholder="example.com, example.org".to_string()
                    hint="Comma-separated. Someone of these domains without an account becomes a member at their first sign-in; anyone else needs an invitation."/>
                <div class="field checkbox-field">
                    <label for="sso-only">
                        <input
                            type="checkbox"
                            id="sso-only"
                            name="sso_only"
                            checked=sso_only.get_untracked()
                            prop:checked=sso_only
                            on:change=move |ev| sso_only.set(event_target_checked(&ev))
                        />
                        " Only single sign-on (the owner can still use the password)"
                    </label>
                </div>
                <FieldError id="sso-form-error".to_string() message=errors.message(FORM)/>
                <div class="form-actions">
                    <button type="submit" id="sso-save" class="primary"
                        disabled=move || busy.get() || !ready.get()>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                    <button type="button" id="sso-remove" class="danger-outline" on:click=remove
                        hidden=move || saved.with(Option::is_none)
                        disabled=move || busy.get() || !ready.get()>
                        "Remove"
                    </button>
                    <p id="sso-saved" class="form-success" role="status">{move || notice.get()}</p>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_split_on_commas_and_spaces() {
        assert_eq!(
            split_domains(" acme.test, example.org\nother.test ,, "),
            vec!["acme.test", "example.org", "other.test"]
        );
        assert!(split_domains("  ").is_empty());
    }
}
