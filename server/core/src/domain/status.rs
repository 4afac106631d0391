//! Rules of a custom status or break (`PUT /api/me/status`): plain functions, no I/O.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

use shared::presence::SetStatusRequest;
use shared::{ContextKind, CustomStatus};

pub const MAX_TEXT_CHARS: usize = 100;
pub const MAX_EMOJI_BYTES: usize = 16;
/// The furthest ahead a status may clear itself.
pub const MAX_AHEAD_DAYS: i64 = 7;
/// What a break says when the user gives no text.
pub const BREAK_TEXT: &str = "On break";

/// The status a request sets at `now` (`None`: it clears the status), or the fields that are
/// wrong and why.
pub fn status_from(
    req: SetStatusRequest,
    now: DateTime<Utc>,
) -> Result<Option<CustomStatus>, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let kind = req.kind.unwrap_or(ContextKind::Custom);
    if !matches!(kind, ContextKind::Custom | ContextKind::Break) {
        errors.insert(
            "kind".to_string(),
            "must be \"custom\" or \"break\" (tickets and game servers are set by the hub)"
                .to_string(),
        );
    }
    let text = req.text.trim().to_string();
    if text.chars().count() > MAX_TEXT_CHARS {
        errors.insert(
            "text".to_string(),
            format!("at most {MAX_TEXT_CHARS} characters"),
        );
    } else if text.chars().any(char::is_control) {
        errors.insert(
            "text".to_string(),
            "must not contain control characters".to_string(),
        );
    }
    let emoji = req
        .emoji
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if let Some(e) = &emoji {
        if e.len() > MAX_EMOJI_BYTES || e.chars().any(|c| c.is_alphanumeric() || c.is_control()) {
            errors.insert(
                "emoji".to_string(),
                format!("one emoji (at most {MAX_EMOJI_BYTES} bytes, no letters or digits)"),
            );
        }
    }
    if let Some(until) = req.until {
        if until <= now {
            errors.insert("until".to_string(), "must be in the future".to_string());
        } else if until > now + Duration::days(MAX_AHEAD_DAYS) {
            errors.insert(
                "until".to_string(),
                format!("at most {MAX_AHEAD_DAYS} days ahead"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let dnd = req.dnd.unwrap_or(false);
    if kind == ContextKind::Custom && text.is_empty() && emoji.is_none() && !dnd {
        return Ok(None);
    }
    let text = if kind == ContextKind::Break && text.is_empty() {
        BREAK_TEXT.to_string()
    } else {
        text
    };
    Ok(Some(CustomStatus {
        kind,
        text,
        emoji,
        until: req.until,
        dnd,
        set_at: now,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_status_is_kept_trimmed_and_an_empty_one_clears() {
        let s = status_from(
            SetStatusRequest {
                text: "  Dentist ".into(),
                emoji: Some("🦷".into()),
                until: Some(now() + Duration::hours(2)),
                dnd: Some(true),
                kind: None,
            },
            now(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (s.text.as_str(), s.dnd, s.kind),
            ("Dentist", true, ContextKind::Custom)
        );
        assert_eq!(status_from(SetStatusRequest::default(), now()), Ok(None));
        // Do-not-disturb alone is a status.
        let dnd = SetStatusRequest {
            dnd: Some(true),
            ..SetStatusRequest::default()
        };
        assert!(status_from(dnd, now()).unwrap().is_some_and(|s| s.dnd));
    }

    #[test]
    fn a_break_says_so_without_text() {
        let s = status_from(
            SetStatusRequest {
                kind: Some(ContextKind::Break),
                until: Some(now() + Duration::minutes(15)),
                ..SetStatusRequest::default()
            },
            now(),
        )
        .unwrap()
        .unwrap();
        assert_eq!((s.kind, s.text.as_str()), (ContextKind::Break, BREAK_TEXT));
    }

    #[test]
    fn bad_fields_are_named() {
        let errors = status_from(
            SetStatusRequest {
                text: "x".repeat(101),
                emoji: Some("abc".into()),
                until: Some(now() - Duration::seconds(1)),
                dnd: None,
                kind: Some(ContextKind::Ticket),
            },
            now(),
        )
        .unwrap_err();
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(names, ["emoji", "kind", "text", "until"]);
        let far = SetStatusRequest {
            text: "Away".into(),
            until: Some(now() + Duration::days(8)),
            ..SetStatusRequest::default()
        };
        assert!(status_from(far, now()).unwrap_err()["until"].contains("7 days"));
    }
}
