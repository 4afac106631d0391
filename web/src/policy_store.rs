//! The policy form's state: the hub's current policy (`base`) and the owner's edits (`drafts`,
//! one per field of `shared::policy::FIELDS`). Saving sends only the edited fields; another
//! owner's change (`config_updated`) moves every field the viewer has not edited.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde_json::{Map, Value};
use shared::policy::{FieldKind, FieldSpec, FIELDS};
use shared::protocol::ConfigUpdated;
use shared::Policy;
use std::collections::BTreeMap;

use crate::data::PolicyPageData;

pub use shared::policy::ConfigView;

/// One field's edit: a switch, or the text of a number input (kept as typed, so that what the
/// hub refuses is what the owner entered).
#[derive(Debug, Clone, Copy)]
pub enum Draft {
    Bool(RwSignal<bool>),
    Int(RwSignal<String>),
    /// One of the field's words.
    Choice(RwSignal<String>),
    /// "HH:MM", or empty for off.
    Time(RwSignal<String>),
}

/// The line under the Save button.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Saved(String),
    Failed(String),
    Info(String),
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Saved(_) => "saved",
            Notice::Failed(_) => "failed",
            Notice::Info(_) => "info",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Notice::Saved(t) | Notice::Failed(t) | Notice::Info(t) => t,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PolicyStore {
    pub version: RwSignal<i64>,
    pub base: RwSignal<Policy>,
    pub updated_at: RwSignal<DateTime<Utc>>,
    drafts: StoredValue<Vec<(&'static str, Draft)>>,
    /// Field name → what the hub said is wrong with it.
    pub errors: RwSignal<BTreeMap<String, String>>,
    pub notice: RwSignal<Option<Notice>>,
    pub busy: RwSignal<bool>,
}

/// A field's value in a policy, as JSON (bool or integer).
fn value_of(policy: &Policy, name: &str) -> Value {
    policy.to_map().remove(name).unwrap_or(Value::Null)
}

fn int_text(value: &Value) -> String {
    value.as_i64().map(|n| n.to_string()).unwrap_or_default()
}

fn word_text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A time input's text as JSON: empty is off (null).
fn time_value(text: &str) -> Value {
    match text.trim() {
        "" => Value::Null,
        t => Value::from(t),
    }
}

impl PolicyStore {
    pub fn new(data: &PolicyPageData) -> Self {
        let values = data.config.to_map();
        let drafts = FIELDS
            .iter()
            .map(|spec| {
                let value = values.get(spec.name).cloned().unwrap_or(Value::Null);
                let draft = match spec.kind {
                    FieldKind::Bool => Draft::Bool(RwSignal::new(value.as_bool().unwrap_or(false))),
                    FieldKind::Int { .. } | FieldKind::IntOrOff { .. } => {
                        Draft::Int(RwSignal::new(int_text(&value)))
                    }
                    FieldKind::Choice(_) => Draft::Choice(RwSignal::new(word_text(&value))),
                    FieldKind::LocalTime => Draft::Time(RwSignal::new(word_text(&value))),
                };
                (spec.name, draft)
            })
            .collect();
        PolicyStore {
            version: RwSignal::new(data.config_version),
            base: RwSignal::new(data.config.clone()),
            updated_at: RwSignal::new(data.updated_at),
            drafts: StoredValue::new(drafts),
            errors: RwSignal::new(BTreeMap::new()),
            notice: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Every field of the form, in the table's order, with its draft.
    pub fn fields(&self) -> Vec<(&'static FieldSpec, Draft)> {
        self.drafts.with_value(|drafts| {
            FIELDS
                .iter()
                .zip(drafts.iter())
                .map(|(spec, (_, draft))| (spec, *draft))
                .collect()
        })
    }

    pub fn draft(&self, name: &str) -> Option<Draft> {
        self.drafts
            .with_value(|d| d.iter().find(|(n, _)| *n == name).map(|(_, d)| *d))
    }

    /// The draft as the JSON the hub gets: a bool, an integer, or (unreadable) the text itself,
    /// which the hub refuses with the field's range.
    fn draft_value(draft: Draft) -> Value {
        match draft {
            Draft::Bool(b) => Value::Bool(b.get_untracked()),
            Draft::Int(text) => {
                let text = text.get_untracked();
                match text.trim().parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::String(text),
                }
            }
            Draft::Choice(word) => Value::from(word.get_untracked()),
            Draft::Time(text) => time_value(&text.get_untracked()),
        }
    }

    /// Whether the viewer changed this field (reactive).
    pub fn is_dirty(&self, name: &'static str) -> bool {
        let Some(draft) = self.draft(name) else {
            return false;
        };
        let current = match draft {
            Draft::Bool(b) => Value::Bool(b.get()),
            Draft::Int(t) => t
                .get()
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::Null),
            Draft::Choice(w) => Value::from(w.get()),
            Draft::Time(t) => time_value(&t.get()),
        };
        self.base.with(|p| value_of(p, name)) != current
    }

    /// The edited fields only: what `PUT /api/policy` gets.
    pub fn patch(&self) -> Map<String, Value> {
        let base = self.base.get_untracked().to_map();
        self.drafts.with_value(|drafts| {
            drafts
                .iter()
                .map(|(name, draft)| (name.to_string(), Self::draft_value(*draft)))
                .filter(|(name, value)| base.get(name) != Some(value))
                .collect()
        })
    }

    fn set_draft(draft: Draft, value: &Value) {
        match draft {
            Draft::Bool(b) => b.set(value.as_bool().unwrap_or(false)),
            Draft::Int(t) => t.set(int_text(value)),
            Draft::Choice(w) => w.set(word_text(value)),
            Draft::Time(t) => t.set(word_text(value)),
        }
    }

    /// The hub saved (or found nothing to change): the form shows what it holds now.
    /// `previous`: the version the save started from (the save's own push may have arrived
    /// before its answer and moved the badge already).
    pub fn saved(&self, view: ConfigView, previous: i64) {
        let values = view.config.to_map();
        self.drafts.with_value(|drafts| {
            for (name, draft) in drafts {
                Self::set_draft(*draft, values.get(*name).unwrap_or(&Value::Null));
            }
        });
        self.base.set(view.config);
        self.version.set(view.config_version);
        self.updated_at.set(view.updated_at);
        self.errors.set(BTreeMap::new());
        self.notice.set(Some(if view.config_version > previous {
            Notice::Saved(format!(
                "Saved as version {}, pushed to agents.",
                view.config_version
            ))
        } else {
            Notice::Saved(format!(
                "Nothing changed: still version {}.",
                view.config_version
            ))
        }));
    }

    /// Another owner's save, pushed as `config_updated`. Fields the viewer has not edited
    /// follow; edited ones keep the viewer's value (and are then sent on save).
    pub fn remote(&self, update: &ConfigUpdated, now: DateTime<Utc>) {
        if update.config_version <= self.version.get_untracked() {
            return;
        }
        let old = self.base.get_untracked().to_map();
        let new = update.config.to_map();
        let mut kept = Vec::new();
        self.drafts.with_value(|drafts| {
            for (name, draft) in drafts {
                let untouched = old.get(*name) == Some(&Self::draft_value(*draft));
                if untouched {
                    Self::set_draft(*draft, new.get(*name).unwrap_or(&Value::Null));
                } else if update.changed.iter().any(|c| c == name) {
                    kept.push(label(name));
                }
            }
        });
        self.base.set(update.config.clone());
        self.version.set(update.config_version);
        self.updated_at.set(now);
        if self.busy.get_untracked() {
            // Most likely the echo of the save in flight; its answer sets the message.
            return;
        }
        let mut text = format!(
            "Another owner saved version {}; the form shows it.",
            update.config_version
        );
        if !kept.is_empty() {
            text.push_str(&format!(" Your edits were kept for: {}.", kept.join(", ")));
        }
        self.notice.set(Some(Notice::Info(text)));
    }
}

fn label(name: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|f| f.name == name)
        .map(|f: &FieldSpec| f.label)
        .unwrap_or("a field")
}

/// The active features in words, for the summary beside the form.
pub fn summary(p: &Policy) -> Vec<String> {
    use crate::time::threshold;
    let mut out = Vec::new();
    if p.screenshots_enabled {
        out.push(format!(
            "Screenshots every {} at JPEG quality {}, at most {} MB each",
            threshold(p.screenshot_interval_seconds),
            p.screenshot_quality,
            p.max_screenshot_size_mb
        ));
    }
    if p.website_tracking_enabled {
        out.push("Website and app tracking".into());
    }
    if p.enable_idle_detection {
        out.push(format!(
            "Idle detection after {}",
            threshold(p.idle_threshold_seconds)
        ));
    }
    if p.enable_keyboard_tracking {
        out.push("Keyboard activity counts".into());
    }
    if p.enable_mouse_tracking {
        out.push("Mouse activity counts".into());
    }
    if p.show_tracker_notification {
        out.push(match p.notification_interval_minutes {
            0 => "Tracker notification when the policy changes".into(),
            n => format!("Tracker notification every {n} min"),
        });
    }
    if out.is_empty() {
        out.push("No tracking features are on".into());
    }
    out.push(format!(
        "Agents retry every {} s while offline; local data kept {} days",
        p.config_sync_interval_seconds, p.local_data_retention_days
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PolicyPageData {
        PolicyPageData {
            config_version: 1,
            config: Policy::default(),
            updated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            can_edit: true,
        }
    }

    fn set_int(s: &PolicyStore, name: &str, text: &str) {
        match s.draft(name).unwrap() {
            Draft::Int(t) => t.set(text.into()),
            _ => panic!("{name} is not a number"),
        }
    }

    #[test]
    fn a_choice_and_a_time_are_sent_as_words_and_an_empty_time_as_off() {
        Owner::new().with(|| {
            let s = PolicyStore::new(&data());
            let Some(Draft::Choice(word)) = s.draft("idle_time_handling") else {
                panic!("idle_time_handling is a choice");
            };
            let Some(Draft::Time(time)) = s.draft("auto_stop_local_time") else {
                panic!("auto_stop_local_time is a time");
            };
            assert_eq!(word.get_untracked(), "ask");
            assert_eq!(time.get_untracked(), "");
            word.set("discard".into());
            time.set("18:30".into());
            let patch = s.patch();
            assert_eq!(patch["idle_time_handling"], "discard");
            assert_eq!(patch["auto_stop_local_time"], "18:30");
            assert!(s.is_dirty("auto_stop_local_time"));
            time.set(String::new());
            assert!(
                !s.patch().contains_key("auto_stop_local_time"),
                "empty is off, as stored"
            );
        });
    }

    #[test]
    fn only_edited_fields_are_sent_as_typed() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let s = PolicyStore::new(&data());
            assert!(s.patch().is_empty());
            set_int(&s, "screenshot_interval_seconds", " 45 ");
            set_int(&s, "screenshot_quality", "abc");
            if let Some(Draft::Bool(b)) = s.draft("enable_mouse_tracking") {
                b.set(true);
            }
            let patch = Value::Object(s.patch());
            assert_eq!(
                patch,
                serde_json::json!({"screenshot_interval_seconds": 45, "screenshot_quality": "abc",
                    "enable_mouse_tracking": true})
            );
        })
    }

    #[test]
    fn saving_resets_the_form_and_says_the_version() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let s = PolicyStore::new(&data());
            set_int(&s, "screenshot_interval_seconds", "45");
            let config = Policy {
                screenshot_interval_seconds: 45,
                ..Policy::default()
            };
            // The save's own push may arrive before its answer.
            s.busy.set(true);
            let echo = ConfigUpdated {
                config_version: 2,
                config: config.clone(),
                changed: vec!["screenshot_interval_seconds".into()],
            };
            s.remote(&echo, DateTime::from_timestamp(1_700_000_100, 0).unwrap());
            assert_eq!(s.notice.get_untracked(), None);
            s.busy.set(false);
            let view = ConfigView {
                config_version: 2,
                config,
                updated_at: DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
            };
            s.saved(view, 1);
            assert!(s.patch().is_empty());
            assert_eq!(
                s.notice.get_untracked(),
                Some(Notice::Saved(
                    "Saved as version 2, pushed to agents.".into()
                ))
            );
        })
    }

    #[test]
    fn a_remote_change_moves_untouched_fields_only() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let s = PolicyStore::new(&data());
            set_int(&s, "screenshot_quality", "60");
            let config = Policy {
                screenshot_quality: 90,
                idle_threshold_seconds: 120,
                ..Policy::default()
            };
            let update = ConfigUpdated {
                config_version: 3,
                config,
                changed: vec!["idle_threshold_seconds".into(), "screenshot_quality".into()],
            };
            s.remote(&update, DateTime::from_timestamp(1_700_000_200, 0).unwrap());
            assert_eq!(s.version.get_untracked(), 3);
            let patch = Value::Object(s.patch());
            assert_eq!(patch, serde_json::json!({"screenshot_quality": 60}));
            assert!(s
                .notice
                .get_untracked()
                .unwrap()
                .text()
                .contains("JPEG quality"));
            // The same version again (the echo of one's own save) changes nothing.
            s.remote(&update, DateTime::from_timestamp(1_700_000_300, 0).unwrap());
            assert_eq!(s.updated_at.get_untracked().timestamp(), 1_700_000_200);
        })
    }

    #[test]
    fn summary_names_the_active_features() {
        let lines = summary(&Policy::default());
        assert!(lines[0].starts_with("Screenshots every 10 min at JPEG quality 85"));
        assert!(lines.iter().any(|l| l == "Idle detection after 5 min"));
        assert!(!lines.iter().any(|l| l.contains("Keyboard")));
    }
}
