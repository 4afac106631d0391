//! `/settings/org` (admins and owners): the organization's name and timezone
//! (`PATCH /api/org`). Members and supervisors get the 403 page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::people::{OrgSettings, UpdateOrgRequest};

use crate::api;
use crate::components::field_error::FieldError;
use crate::components::form::{FormErrors, TextField, TimezoneList, FORM, TIMEZONE_LIST};
use crate::components::live_badge::LiveBadge;
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
    let saved = RwSignal::new(page.org.clone());
    let name = RwSignal::new(page.org.name.clone());
    let timezone = RwSignal::new(page.org.timezone.clone());
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
        let body = UpdateOrgRequest {
            name: (new_name != current.name).then_some(new_name),
            timezone: (new_tz != current.timezone).then_some(new_tz),
        };
        if body.name.is_none() && body.timezone.is_none() {
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
                        "Saved: {} ({}). Every page shows the new name from the next load.",
                        org.name, org.timezone
                    )));
                    name.set(org.name.clone());
                    timezone.set(org.timezone.clone());
                    saved.set(org);
                }
                Err(f) => errors.failed(f, |field| match field {
                    "name" => Some("The name"),
                    "timezone" => Some("The timezone"),
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
                <FieldError id="org-form-error".to_string() message=errors.message(FORM)/>
                <div class="form-actions">
                    <button type="submit" id="org-save" class="primary" disabled=busy>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                    <p id="org-saved" class="form-success" role="status">{move || notice.get()}</p>
                </div>
            </form>
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
