//! `/settings/policy`: the company tracking policy. The owner edits and saves it ("Save &
//! sync" → `PUT /api/policy`, pushed to every agent); everyone else sees it read-only. Another
//! owner's save arrives as `config_updated` and shows at once.

use chrono::{DateTime, Utc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;
use shared::protocol::ServerToTab;

use crate::api;
use crate::components::live_badge::LiveBadge;
use crate::components::policy_field::PolicyField;
use crate::components::since::Since;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::policy_store::{summary, ConfigView, Notice, PolicyStore};

#[component]
pub fn PolicyPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.policy else {
        return view! { <Missing/> }.into_any();
    };
    let store = PolicyStore::new(&page);
    let editable = page.can_edit;
    let now_ms = clock();
    let live = live_link(move |message| {
        if let ServerToTab::ConfigUpdated(update) = &message {
            let now =
                DateTime::<Utc>::from_timestamp_millis(crate::time::now_ms()).unwrap_or_default();
            store.remote(update, now);
        }
    });

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !editable || store.busy.get_untracked() {
            return;
        }
        let patch = store.patch();
        if patch.is_empty() {
            store.notice.set(Some(Notice::Info(
                "Nothing to save: no field was changed.".into(),
            )));
            return;
        }
        let from = store.version.get_untracked();
        store.busy.set(true);
        store.notice.set(None);
        leptos::task::spawn_local(async move {
            let result = api::put::<_, ConfigView>("/api/policy", &Value::Object(patch)).await;
            store.busy.set(false);
            match result {
                Ok(view) => store.saved(view, from),
                Err(f) => {
                    // "Screenshot JPEG quality must be an integer from 50 to 95."
                    let fields = f
                        .fields
                        .iter()
                        .map(|(name, what)| {
                            let label =
                                shared::policy::field(name).map_or(name.as_str(), |s| s.label);
                            (name.clone(), format!("{label} {what}."))
                        })
                        .collect();
                    store.errors.set(fields);
                    store.notice.set(Some(Notice::Failed(f.message)));
                }
            }
        });
    };

    let fields = store
        .fields()
        .into_iter()
        .map(|(spec, draft)| view! { <PolicyField spec draft store editable/> })
        .collect_view();
    let version = move || store.version.get();
    let notice_kind = move || store.notice.with(|n| n.as_ref().map(Notice::kind));
    let notice_text = move || {
        store
            .notice
            .with(|n| n.as_ref().map(|n| n.text().to_string()))
    };
    let features = move || {
        store
            .base
            .with(summary)
            .into_iter()
            .map(|line| view! { <li>{line}</li> })
            .collect_view()
    };

    view! {
        <Title text=title("Tracking policy", &data.viewer)/>
        <TopBar viewer=data.viewer current="/settings/policy"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="policy-heading">"Tracking policy"</h1>
                <div class="page-meta">
                    <span id="policy-version" class="version-badge" data-version=version>
                        "Version " {version}
                    </span>
                    <LiveBadge live/>
                </div>
            </div>
            <p id="policy-updated" class="muted">
                "Last updated " <Since at=move || Some(store.updated_at.get()) now_ms/>
            </p>
            {(!editable).then(|| view! {
                <p id="policy-readonly" class="notice">
                    "Only the owner can change the policy. This view follows their changes live."
                </p>
            })}
            <div class="policy-layout">
                <form
                    id="policy-form"
                    class="card"
                    novalidate
                    aria-labelledby="policy-heading"
                    on:submit=save
                >
                    <div class="policy-fields">{fields}</div>
                    <div class="form-actions">
                        {editable.then(|| view! {
                            <button
                                type="submit"
                                id="policy-save"
                                class="primary"
                                disabled=store.busy
                            >
                                {move || if store.busy.get() { "Saving…" } else { "Save & sync" }}
                            </button>
                        })}
                        <p
                            id="policy-notice"
                            class="notice-line"
                            role="status"
                            data-kind=notice_kind
                        >
                            {notice_text}
                        </p>
                    </div>
                </form>
                <aside class="card policy-summary" aria-labelledby="summary-heading">
                    <h2 id="summary-heading">"Active features"</h2>
                    <ul id="policy-summary">{features}</ul>
                </aside>
            </div>
        </main>
    }
    .into_any()
}
