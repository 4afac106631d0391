//! The company tracking policy: its fields, their allowed ranges and defaults.
//! One definition used by the hub (validation), the web form (ranges) and the agent (clamping).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The value kind and allowed range of one policy field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Bool,
    Int { min: i64, max: i64 },
}

/// Static description of one field: its wire name, kind and default.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub default: i64,
    pub label: &'static str,
}

impl FieldSpec {
    /// "an integer from 30 to 3600" / "true or false": used in 422 messages and form hints.
    pub fn range_text(&self) -> String {
        match self.kind {
            FieldKind::Bool => "true or false".to_string(),
            FieldKind::Int { min, max } => format!("an integer from {min} to {max}"),
        }
    }
}

const fn boolean(name: &'static str, default: bool, label: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Bool,
        default: default as i64,
        label,
    }
}

const fn int(
    name: &'static str,
    min: i64,
    max: i64,
    default: i64,
    label: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Int { min, max },
        default,
        label,
    }
}

pub const FIELDS: [FieldSpec; 13] = [
    boolean("screenshots_enabled", true, "Screenshots"),
    boolean("website_tracking_enabled", true, "Website and app tracking"),
    int(
        "screenshot_interval_seconds",
        30,
        3600,
        600,
        "Screenshot interval (seconds)",
    ),
    int(
        "idle_threshold_seconds",
        60,
        1800,
        300,
        "Idle threshold (seconds)",
    ),
    int(
        "config_sync_interval_seconds",
        5,
        60,
        10,
        "Config sync interval (seconds)",
    ),
    int(
        "max_screenshot_size_mb",
        1,
        50,
        5,
        "Max screenshot size (MB)",
    ),
    int("screenshot_quality", 50, 95, 85, "Screenshot JPEG quality"),
    boolean(
        "enable_keyboard_tracking",
        false,
        "Keyboard activity counts",
    ),
    boolean("enable_mouse_tracking", false, "Mouse activity counts"),
    boolean("enable_idle_detection", true, "Idle detection"),
    boolean("show_tracker_notification", true, "Tracker notification"),
    int(
        "notification_interval_minutes",
        0,
        120,
        30,
        "Notification interval (minutes)",
    ),
    int(
        "local_data_retention_days",
        7,
        365,
        30,
        "Local data retention (days)",
    ),
];

pub fn field(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    pub screenshots_enabled: bool,
    pub website_tracking_enabled: bool,
    pub screenshot_interval_seconds: u32,
    pub idle_threshold_seconds: u32,
    pub config_sync_interval_seconds: u32,
    pub max_screenshot_size_mb: u32,
    pub screenshot_quality: u32,
    pub enable_keyboard_tracking: bool,
    pub enable_mouse_tracking: bool,
    pub enable_idle_detection: bool,
    pub show_tracker_notification: bool,
    pub notification_interval_minutes: u32,
    pub local_data_retention_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        let defaults: Map<String, Value> = FIELDS
            .iter()
            .map(|f| (f.name.to_string(), spec_value(f, f.default)))
            .collect();
        // The table above is the one source of defaults; it always deserializes.
        serde_json::from_value(Value::Object(defaults)).unwrap_or_else(|_| unreachable!())
    }
}

fn spec_value(spec: &FieldSpec, v: i64) -> Value {
    match spec.kind {
        FieldKind::Bool => Value::Bool(v != 0),
        FieldKind::Int { .. } => Value::from(v),
    }
}

/// Field name → what is wrong with it, including the allowed range.
pub type FieldErrors = BTreeMap<String, String>;

impl Policy {
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// Applies a partial update given as JSON. Every bad field is reported; on any error
    /// nothing is applied. Returns the new policy and the names of fields whose value changed.
    pub fn apply_patch(
        &self,
        patch: &Map<String, Value>,
    ) -> Result<(Policy, Vec<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut merged = self.to_map();
        for (name, value) in patch {
            let Some(spec) = field(name) else {
                errors.insert(name.clone(), "unknown policy field".to_string());
                continue;
            };
            let ok = match spec.kind {
                FieldKind::Bool => value.is_boolean(),
                FieldKind::Int { min, max } => {
                    value.as_i64().is_some_and(|v| (min..=max).contains(&v))
                }
            };
            if ok {
                merged.insert(name.clone(), value.clone());
            } else {
                errors.insert(name.clone(), format!("must be {}", spec.range_text()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let next: Policy = serde_json::from_value(Value::Object(merged)).map_err(|e| {
            let mut errs = FieldErrors::new();
            errs.insert("policy".to_string(), e.to_string());
            errs
        })?;
        let changed = self.changed_fields(&next);
        Ok((next, changed))
    }

    /// Names of the fields whose value differs between `self` and `other`, in table order.
    pub fn changed_fields(&self, other: &Policy) -> Vec<String> {
        let (a, b) = (self.to_map(), other.to_map());
        FIELDS
            .iter()
            .filter(|f| a.get(f.name) != b.get(f.name))
            .map(|f| f.name.to_string())
            .collect()
    }

    /// Second guard for receivers (the agent): pulls every value into its allowed range.
    pub fn clamped(&self) -> Policy {
        let mut m = self.to_map();
        for spec in FIELDS.iter() {
            if let (FieldKind::Int { min, max }, Some(v)) =
                (spec.kind, m.get(spec.name).and_then(Value::as_i64))
            {
                m.insert(spec.name.to_string(), Value::from(v.clamp(min, max)));
            }
        }
        serde_json::from_value(Value::Object(m)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn defaults_match_the_spec_table() {
        let p = Policy::default();
        assert!(p.screenshots_enabled);
        assert_eq!(p.screenshot_interval_seconds, 600);
        assert_eq!(p.idle_threshold_seconds, 300);
        assert_eq!(p.config_sync_interval_seconds, 10);
        assert!(!p.enable_keyboard_tracking);
        assert_eq!(p.local_data_retention_days, 30);
    }

    #[test]
    fn every_int_field_accepts_its_bounds_and_rejects_one_past() {
        let base = Policy::default();
        for spec in FIELDS.iter() {
            if let FieldKind::Int { min, max } = spec.kind {
                for ok in [min, max] {
                    assert!(
                        base.apply_patch(&patch(json!({ spec.name: ok }))).is_ok(),
                        "{} {ok}",
                        spec.name
                    );
                }
                for bad in [min - 1, max + 1] {
                    let errs = base
                        .apply_patch(&patch(json!({ spec.name: bad })))
                        .unwrap_err();
                    assert!(errs[spec.name].contains(&format!("from {min} to {max}")));
                }
            }
        }
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_all_reported() {
        let errs = Policy::default()
            .apply_patch(&patch(
                json!({"screenshots_enabled": "yes", "screenshot_quality": 10, "colour": 1}),
            ))
            .unwrap_err();
        assert_eq!(errs.len(), 3);
    }

    #[test]
    fn no_op_patch_changes_nothing() {
        let (_, changed) = Policy::default()
            .apply_patch(&patch(json!({"idle_threshold_seconds": 300})))
            .unwrap();
        assert!(changed.is_empty());
        let (p, changed) = Policy::default()
            .apply_patch(&patch(json!({"idle_threshold_seconds": 60})))
            .unwrap();
        assert_eq!(changed, vec!["idle_threshold_seconds"]);
        assert_eq!(p.idle_threshold_seconds, 60);
    }

    #[test]
    fn clamping_pulls_values_into_range() {
        let p = Policy {
            screenshot_quality: 5,
            screenshot_interval_seconds: 99_999,
            ..Policy::default()
        };
        let c = p.clamped();
        assert_eq!(c.screenshot_quality, 50);
        assert_eq!(c.screenshot_interval_seconds, 3600);
    }
}
