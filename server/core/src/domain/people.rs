//! What makes a person's details valid: names, e-mail addresses, passwords, timezones, game
//! identities. Each check answers the text shown under the field (SPEC §5 `fields`).

use std::collections::BTreeMap;

use super::auth::password_problem;

/// Problems by field name; empty when everything is fine.
pub type FieldProblems = BTreeMap<String, String>;

/// A required text of 1 to `max` characters (after trimming).
pub fn check_text(problems: &mut FieldProblems, field: &str, value: &str, max: usize) {
    let len = value.trim().chars().count();
    if len == 0 || len > max {
        problems.insert(field.to_string(), format!("must be 1 to {max} characters"));
    }
}

/// An optional text: absent or empty is fine, otherwise at most `max` characters.
pub fn check_optional_text(
    problems: &mut FieldProblems,
    field: &str,
    value: Option<&str>,
    max: usize,
) {
    if value.is_some_and(|v| v.trim().chars().count() > max) {
        problems.insert(
            field.to_string(),
            format!("must be at most {max} characters"),
        );
    }
}

/// Trimmed and lower-cased: e-mail addresses are compared this way everywhere.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A normalized address with one `@` between a local part and a domain, no spaces.
pub fn check_email(problems: &mut FieldProblems, field: &str, email: &str) {
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if !ok {
        problems.insert(field.to_string(), "must be an e-mail address".into());
    }
}

pub fn check_password(problems: &mut FieldProblems, field: &str, password: &str) {
    if let Some(problem) = password_problem(password) {
        problems.insert(field.to_string(), problem.into());
    }
}

/// An IANA timezone name the hub knows (`UTC`, `Europe/Berlin`, ...).
pub fn check_timezone(problems: &mut FieldProblems, field: &str, timezone: &str) {
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        problems.insert(
            field.to_string(),
            "must be an IANA timezone such as UTC or Europe/Berlin".into(),
        );
    }
}

/// An optional profile text, trimmed; empty reads as absent.
pub fn clean_optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(check: impl FnOnce(&mut FieldProblems)) -> FieldProblems {
        let mut p = FieldProblems::new();
        check(&mut p);
        p
    }

    #[test]
    fn emails() {
        for good in ["a@b", "ann.lee@example.com", "x+tag@sub.example.org"] {
            assert!(
                problems(|p| check_email(p, "email", good)).is_empty(),
                "{good}"
            );
        }
        for bad in ["", "@b", "a@", "a b@c", "a@b@c", "plain"] {
            assert_eq!(
                problems(|p| check_email(p, "email", bad))["email"],
                "must be an e-mail address",
                "{bad}"
            );
        }
        assert_eq!(normalize_email("  Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn timezones_are_iana_names() {
        for good in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
            assert!(
                problems(|p| check_timezone(p, "timezone", good)).is_empty(),
                "{good}"
            );
        }
        for bad in ["", "Mars/Olympus", "GMT+25", "europe berlin"] {
            assert!(
                problems(|p| check_timezone(p, "timezone", bad)).contains_key("timezone"),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(problems(|p| check_password(p, "password", "123456789")).contains_key("password"));
        assert!(problems(|p| check_password(p, "password", "1234567890")).is_empty());
        assert!(
            problems(|p| check_password(p, "password", &"x".repeat(1025))).contains_key("password")
        );
    }

    #[test]
    fn texts() {
        assert!(problems(|p| check_text(p, "name", "  ", 10)).contains_key("name"));
        assert!(problems(|p| check_text(p, "name", "Ann", 10)).is_empty());
        assert!(problems(|p| check_optional_text(p, "discord", None, 3)).is_empty());
        assert!(
            problems(|p| check_optional_text(p, "discord", Some("abcd"), 3))
                .contains_key("discord")
        );
        assert_eq!(clean_optional(Some("  ")), None);
        assert_eq!(clean_optional(Some(" ann ")), Some("ann".into()));
    }
}
