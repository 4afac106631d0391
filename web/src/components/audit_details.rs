//! The details cell of an audit entry, readable at a glance: a policy change as
//! "field: old → new" lines, a forced end as who, how long and why.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use serde_json::Value;
use shared::api::AuditEntry;

use crate::time::hms;

/// A policy value in words: switches read on/off.
fn shown(value: Option<&Value>) -> String {
    match value {
        Some(Value::Bool(true)) => "on".into(),
        Some(Value::Bool(false)) => "off".into(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "—".into(),
        Some(other) => other.to_string(),
    }
}

#[component]
pub fn AuditDetails(entry: AuditEntry) -> impl IntoView {
    let d = &entry.details;
    match entry.action.as_str() {
        "POLICY_CHANGED" => {
            let fields: Vec<String> = match d["changed"].as_array() {
                Some(changed) => changed
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                None => d["new"]
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default(),
            };
            let lines = fields
                .into_iter()
                .map(|name| {
                    let label =
                        shared::policy::field(&name).map_or(name.clone(), |s| s.label.to_string());
                    let old = shown(d["old"].get(&name));
                    let new = shown(d["new"].get(&name));
                    view! {
                        <li data-field=name>
                            <span class="field-name">{label}</span>
                            ": "
                            <span class="old-value">{old}</span>
                            <span aria-label="changed to">" → "</span>
                            <span class="new-value">{new}</span>
                        </li>
                    }
                })
                .collect_view();
            let version = d["config_version"].as_i64().map(|v| format!("Version {v}"));
            EitherOf3::A(view! {
                <span class="audit-version">{version}</span>
                <ul class="changes">{lines}</ul>
            })
        }
        "SESSION_FORCE_ENDED" => {
            let who = d["user_name"].as_str().unwrap_or("a user").to_string();
            let session = d["session_id"].as_i64().unwrap_or_default();
            let after = d["duration_seconds"].as_i64().map(hms).unwrap_or_default();
            let reason = d["reason"].as_str().unwrap_or_default().to_string();
            EitherOf3::B(view! {
                <span class="audit-summary">
                    "Ended " {who} "'s session #" {session} " after " {after}
                </span>
                <span class="audit-reason">"Reason: “" {reason} "”"</span>
            })
        }
        _ => EitherOf3::C(view! { <code class="audit-raw">{d.to_string()}</code> }),
    }
}
