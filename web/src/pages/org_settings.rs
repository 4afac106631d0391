//! `/settings/org` (admins and owners): the organization's name, timezone and whom it
//! requires two-factor sign-in of (`PATCH /api/org`). Members and supervisors get the 403 page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::people::{OrgSettings, UpdateOrgRequest};
use shared::two_factor::TwoFactorRequirement;

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{FormErrors, TextField, TimezoneList, FORM, TIMEZONE_LIST};
use crate::components::live_badge::LiveBadge;
use crate::components::sso_settings::SsoSettingsSection;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::time::day;

#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.org else {
        return view! { <Missing/> }.into_any();
    };
    let live = live_link(|_| {});
    // Owners only: the organization's identity provider.
    let sso = page.sso.clone();
    let saved = RwSignal::new(page.org.clone());
    let name = RwSignal::new(page.org.name.clone());
    let timezone = RwSignal::new(page.org.timezone.clone());
    let require = RwSignal::new(page.org.require_2fa_for);
    let errors = FormErrors::new();
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        notice.set(None);
        let current = saved.get_untracked();
        let (new_name, new_tz) = (
            name.get_untracked().trim().to_string(),
            timezone.get_untracked().trim().to_string(),
        );
        if new_name.is_empty() {
            errors.add("name", "Enter the organization's name.");
        }
        if new_tz.is_empty() {
            errors.add("timezone", "Enter a timezone, e.g. UTC.");
        }
        if !errors.is_empty() {
            return;
        }
        let new_require = require.get_untracked();
        let body = UpdateOrgRequest {
            name: (new_name != current.name).then_some(new_name),
            timezone: (new_tz != current.timezone).then_some(new_tz),
            require_2fa_for: (new_require != current.require_2fa_for).then_some(new_require),
        };
        if body.name.is_none() && body.timezone.is_none() && body.require_2fa_for.is_none() {
            notice.set(Some("Nothing to save: nothing was changed.".into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::patch::<_, OrgSettings>("/api/org", &body).await;
            busy.set(false);
            match result {
                Ok(org) => {
                    notice.set(Some(format!(
                        "Saved: {} ({}). Every page shows the new name from the next load. Two-factor sign-in is required of {}.",
                        org.name,
                        org.timezone,
                        org.require_2fa_for.label()
                    )));
                    name.set(org.name.clone());
                    timezone.set(org.timezone.clone());
                    require.set(org.require_2fa_for);
                    saved.set(org);
                }
                Err(f) => errors.failed(f, |field| match field {
                    "name" => Some("The name"),
                    "timezone" => Some("The timezone"),
                    "require_2fa_for" => Some("Two-factor sign-in"),
                    _ => None,
                }),
            }
        });
    };

    view! {
        <Title text=title("Organization", &data.viewer)/>
        <TopBar viewer=data.viewer current="/settings/org"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="org-heading">"Organization"</h1>
                <div class="page-meta">
                    <span>"Created " {day(page.org.created_at)}</span>
                    <LiveBadge live/>
                </div>
            </div>
            <form id="org-form" class="card narrow-card" novalidate aria-labelledby="org-heading" on:submit=submit>
                <TextField id="org-name" label="Name" value=name errors field="name" required=true
                    maxlength=200 autocomplete="organization"/>
                <TextField id="org-timezone" label="Timezone" value=timezone errors field="timezone"
                    list=TIMEZONE_LIST required=true
                    hint="An IANA name such as UTC or Europe/Berlin. Days, weeks and months of reports and staff time follow it; users without their own timezone too."/>
                <TimezoneList/>
                <div class="field">
                    <label for="org-require-2fa">"Require two-factor sign-in for"</label>
                    <select
                        id="org-require-2fa"
                        name="require_2fa_for"
                        aria-describedby="org-require-2fa-hint org-require-2fa-error"
                        aria-invalid=errors.invalid("require_2fa_for")
                        prop:value=move || require.get().as_str()
                        on:change=move |ev| {
                            if let Some(r) = TwoFactorRequirement::parse(&event_target_value(&ev)) {
                                require.set(r);
                                errors.remove("require_2fa_for");
                            }
                        }
                    >
                        {TwoFactorRequirement::ALL
                            .into_iter()
                            .map(|r| view! {
                                <option value=r.as_str() selected=move || require.get() == r>
                                    {r.label()}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    <p id="org-require-2fa-hint" class="hint">
                        "Whoever it covers and has not turned it on is led to their account page to set it up, and can use nothing else until then."
                    </p>
                    <FieldError id="org-require-2fa-error".to_string() message=errors.message("require_2fa_for")/>
                </div>
                <FieldError id="org-form-error".to_string() message=errors.message(FORM)/>
                <div class="form-actions">
                    <button type="submit" id="org-save" class="primary" disabled=busy>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                    <p id="org-saved" class="form-success" role="status">{move || notice.get()}</p>
                </div>
            </form>
            {sso.map(|section| view! { <SsoSettingsSection section/> })}
            <section class="card settings-links" aria-labelledby="integrations-heading">
                <h2 id="integrations-heading">"Integrations"</h2>
                <p>
                    <a href="/settings/webhooks" rel="external" id="webhooks-link">"Webhooks"</a>
                    " — signed HTTP deliveries of sessions, policy changes, presence, statuses and game server coverage."
                </p>
                <p>
                    <a href="/fleet" rel="external">"Agent fleet"</a>
                    " — every desktop agent, its version and whether it applied the current policy."
                </p>
            </section>
        </main>
    }
    .into_any()
}
