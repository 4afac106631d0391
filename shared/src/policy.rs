//! The company tracking policy: its fields, their allowed ranges and defaults.
//! One definition used by the hub (validation), the web form (ranges) and the agent (clamping).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The value kind and allowed range of one policy field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// 0 turns the rule off; any other value lies in `min..=max`.
    IntOrOff {
        min: i64,
        max: i64,
    },
    /// One of a few words.
    Choice(&'static [&'static str]),
    /// A local wall-clock time "HH:MM", or null (off).
    LocalTime,
}

/// A field's default, as a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldDefault {
    Bool(bool),
    Int(i64),
    Word(&'static str),
    Off,
}

impl FieldDefault {
    pub fn to_value(self) -> Value {
        match self {
            FieldDefault::Bool(b) => Value::Bool(b),
            FieldDefault::Int(n) => Value::from(n),
            FieldDefault::Word(w) => Value::from(w),
            FieldDefault::Off => Value::Null,
        }
    }
}

impl std::fmt::Display for FieldDefault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldDefault::Bool(b) => write!(f, "{}", if *b { "on" } else { "off" }),
            FieldDefault::Int(0) => write!(f, "0 (off)"),
            FieldDefault::Int(n) => write!(f, "{n}"),
            FieldDefault::Word(w) => write!(f, "{w}"),
            FieldDefault::Off => write!(f, "off"),
        }
    }
}

/// Static description of one field: its wire name, kind and default.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub default: FieldDefault,
    pub label: &'static str,
}

impl FieldSpec {
    /// "an integer from 30 to 3600" / "true or false": used in 422 messages and form hints.
    pub fn range_text(&self) -> String {
        match self.kind {
            FieldKind::Bool => "true or false".to_string(),
            FieldKind::Int { min, max } => format!("an integer from {min} to {max}"),
            FieldKind::IntOrOff { min, max } => {
                format!("0 (off) or an integer from {min} to {max}")
            }
            FieldKind::Choice(words) => format!("one of {}", words.join(", ")),
            FieldKind::LocalTime => {
                "null (off) or a time \"HH:MM\" from 00:00 to 23:59".to_string()
            }
        }
    }

    /// Whether `value` is allowed for this field.
    pub fn accepts(&self, value: &Value) -> bool {
        match self.kind {
            FieldKind::Bool => value.is_boolean(),
            FieldKind::Int { min, max } => value.as_i64().is_some_and(|v| (min..=max).contains(&v)),
            FieldKind::IntOrOff { min, max } => value
                .as_i64()
                .is_some_and(|v| v == 0 || (min..=max).contains(&v)),
            FieldKind::Choice(words) => value.as_str().is_some_and(|w| words.contains(&w)),
            FieldKind::LocalTime => {
                value.is_null()
                    || value
                        .as_str()
                        .is_some_and(|t| parse_local_time(t).is_some())
            }
        }
    }
}

/// "HH:MM" (24-hour, two digits each) → (hour, minute).
pub fn parse_local_time(text: &str) -> Option<(u32, u32)> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// What happens to idle time inside a session (policy `idle_time_handling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdleTimeHandling {
    /// Counted as work.
    Keep,
    /// Subtracted from the session's duration.
    Discard,
    /// The agent's window asks; unanswered after 10 minutes it is kept.
    #[default]
    Ask,
}

pub const IDLE_TIME_HANDLING_WORDS: &[&str] = &["keep", "discard", "ask"];

const fn boolean(name: &'static str, default: bool, label: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Bool,
        default: FieldDefault::Bool(default),
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
        default: FieldDefault::Int(default),
        label,
    }
}

pub const FIELDS: [FieldSpec; 20] = [
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
    FieldSpec {
        name: "idle_time_handling",
        kind: FieldKind::Choice(IDLE_TIME_HANDLING_WORDS),
        default: FieldDefault::Word("ask"),
        label: "Idle time in a session",
    },
    FieldSpec {
        name: "max_session_minutes",
        kind: FieldKind::IntOrOff { min: 30, max: 1440 },
        default: FieldDefault::Int(0),
        label: "Longest session (minutes, 0 = no limit)",
    },
    FieldSpec {
        name: "auto_stop_local_time",
        kind: FieldKind::LocalTime,
        default: FieldDefault::Off,
        label: "Stop running sessions at (organization's time)",
    },
    boolean(
        "screenshot_blur",
        false,
        "Blur screenshots on the computer before upload",
    ),
    int(
        "screenshot_delete_minutes",
        0,
        60,
        0,
        "A member may delete their own screenshot for (minutes, 0 = never)",
    ),
    FieldSpec {
        name: "screenshot_retention_days",
        kind: FieldKind::IntOrOff { min: 1, max: 3650 },
        default: FieldDefault::Int(0),
        label: "Keep screenshots for (days, 0 = keep)",
    },
    FieldSpec {
        name: "activity_retention_days",
        kind: FieldKind::IntOrOff { min: 1, max: 3650 },
        default: FieldDefault::Int(0),
        label: "Keep activity and apps for (days, 0 = keep)",
    },
];

pub fn field(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The policy as `GET /api/config` and `PUT /api/policy` answer it: with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigView {
    pub config_version: i64,
    pub config: Policy,
    pub updated_at: chrono::DateTime<chrono::Utc>,
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
    #[serde(default)]
    pub idle_time_handling: IdleTimeHandling,
    #[serde(default)]
    pub max_session_minutes: u32,
    #[serde(default)]
    pub auto_stop_local_time: Option<String>,
    /// The agent blurs each screenshot before it leaves the computer.
    #[serde(default)]
    pub screenshot_blur: bool,
    /// How long after it was taken a member may delete their own screenshot (0 = not at all);
    /// the screenshot's 10-minute slot is then not counted.
    #[serde(default)]
    pub screenshot_delete_minutes: u32,
    /// Screenshots older than this are deleted, files and rows (0 = kept).
    #[serde(default)]
    pub screenshot_retention_days: u32,
    /// Activity slots and focused apps older than this are deleted (0 = kept).
    #[serde(default)]
    pub activity_retention_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        let defaults: Map<String, Value> = FIELDS
            .iter()
            .map(|f| (f.name.to_string(), f.default.to_value()))
            .collect();
        // The table above is the one source of defaults; it always deserializes.
        serde_json::from_value(Value::Object(defaults)).unwrap_or_else(|_| unreachable!())
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
            if spec.accepts(value) {
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

    /// Second guard for receivers (the agent): pulls every value into its allowed range;
    /// a word or time it cannot read takes the field's default.
    pub fn clamped(&self) -> Policy {
        let mut m = self.to_map();
        for spec in FIELDS.iter() {
            let Some(value) = m.get(spec.name) else {
                continue;
            };
            let fixed = match (spec.kind, value.as_i64()) {
                (FieldKind::Int { min, max }, Some(v)) => Value::from(v.clamp(min, max)),
                (FieldKind::IntOrOff { .. }, Some(0)) => Value::from(0),
                (FieldKind::IntOrOff { min, max }, Some(v)) => Value::from(v.clamp(min, max)),
                (FieldKind::Choice(_) | FieldKind::LocalTime, _) if !spec.accepts(value) => {
                    spec.default.to_value()
                }
                _ => continue,
            };
            m.insert(spec.name.to_string(), fixed);
        }
        serde_json::from_value(Value::Object(m)).unwrap_or_default()
    }

    /// Milliseconds a kept kind of data lives, from a `*_retention_days` value (None = kept).
    pub fn retention_ms(days: u32) -> Option<i64> {
        (days > 0).then(|| i64::from(days) * 24 * 3600 * 1000)
    }

    /// The `auto_stop_local_time` as (hour, minute), if set.
    pub fn auto_stop_at(&self) -> Option<(u32, u32)> {
        self.auto_stop_local_time
            .as_deref()
            .and_then(parse_local_time)
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
        assert_eq!(p.idle_time_handling, IdleTimeHandling::Ask);
        assert_eq!(p.max_session_minutes, 0);
        assert_eq!(p.auto_stop_local_time, None);
    }

    #[test]
    fn the_rule_fields_accept_off_and_their_ranges_only() {
        let base = Policy::default();
        for ok in [json!(0), json!(30), json!(1440)] {
            assert!(base
                .apply_patch(&patch(json!({"max_session_minutes": ok})))
                .is_ok());
        }
        for bad in [json!(29), json!(1), json!(1441), json!(-1), json!("60")] {
            let errs = base
                .apply_patch(&patch(json!({"max_session_minutes": bad})))
                .unwrap_err();
            assert!(errs["max_session_minutes"].contains("0 (off) or an integer from 30 to 1440"));
        }
        for ok in [json!(null), json!("00:00"), json!("18:30"), json!("23:59")] {
            let (p, _) = base
                .apply_patch(&patch(json!({"auto_stop_local_time": ok.clone()})))
                .unwrap();
            assert_eq!(serde_json::to_value(&p.auto_stop_local_time).unwrap(), ok);
        }
        for bad in [
            json!("24:00"),
            json!("7:30"),
            json!("18:60"),
            json!("18.30"),
            json!(1830),
            json!(""),
        ] {
            assert!(base
                .apply_patch(&patch(json!({"auto_stop_local_time": bad})))
                .is_err());
        }
        for word in ["keep", "discard", "ask"] {
            assert!(base
                .apply_patch(&patch(json!({"idle_time_handling": word})))
                .is_ok());
        }
        let errs = base
            .apply_patch(&patch(json!({"idle_time_handling": "maybe"})))
            .unwrap_err();
        assert_eq!(
            errs["idle_time_handling"],
            "must be one of keep, discard, ask"
        );
    }

    #[test]
    fn an_older_policy_without_the_rule_fields_reads_with_their_defaults() {
        let mut old = Policy::default().to_map();
        for name in [
            "idle_time_handling",
            "max_session_minutes",
            "auto_stop_local_time",
        ] {
            old.remove(name);
        }
        let p: Policy = serde_json::from_value(Value::Object(old)).unwrap();
        assert_eq!(p, Policy::default());
    }

    #[test]
    fn the_own_data_fields_keep_their_ranges_and_read_from_an_older_policy() {
        let base = Policy::default();
        assert!(!base.screenshot_blur);
        assert_eq!(base.screenshot_delete_minutes, 0);
        assert_eq!(base.screenshot_retention_days, 0);
        for ok in [json!(0), json!(1), json!(3650)] {
            assert!(base
                .apply_patch(&patch(json!({"activity_retention_days": ok})))
                .is_ok());
        }
        for bad in [json!(-1), json!(3651), json!(true)] {
            let errs = base
                .apply_patch(&patch(json!({"screenshot_retention_days": bad})))
                .unwrap_err();
            assert_eq!(
                errs["screenshot_retention_days"],
                "must be 0 (off) or an integer from 1 to 3650"
            );
        }
        let errs = base
            .apply_patch(&patch(
                json!({"screenshot_delete_minutes": 61, "screenshot_blur": 1}),
            ))
            .unwrap_err();
        assert_eq!(errs.len(), 2);
        let mut old = Policy::default().to_map();
        for name in [
            "screenshot_blur",
            "screenshot_delete_minutes",
            "screenshot_retention_days",
            "activity_retention_days",
        ] {
            old.remove(name);
        }
        let p: Policy = serde_json::from_value(Value::Object(old)).unwrap();
        assert_eq!(p, Policy::default());
        assert_eq!(Policy::retention_ms(0), None);
        assert_eq!(Policy::retention_ms(2), Some(172_800_000));
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
        let p = Policy {
            max_session_minutes: 5,
            auto_stop_local_time: Some("25:00".into()),
            ..Policy::default()
        };
        let c = p.clamped();
        assert_eq!(c.max_session_minutes, 30);
        assert_eq!(c.auto_stop_local_time, None);
        assert_eq!(
            Policy {
                max_session_minutes: 0,
                ..p
            }
            .clamped()
            .max_session_minutes,
            0
        );
    }
}
