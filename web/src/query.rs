//! The filters and page numbers of list pages, as query parameters. The server parses them to
//! render the filtered first HTML; the page builds its links (paging, CSV export) from them, so
//! both ends read and write one format.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared::protocol::SessionInfo;

/// Rows per page of the list pages.
pub const PER_PAGE: u32 = 25;

/// The audit actions the filter offers (the log may hold others; they show under "All").
pub const AUDIT_ACTIONS: [&str; 2] = ["POLICY_CHANGED", "SESSION_FORCE_ENDED"];

/// `/sessions?user_id=&ticket_id=&active=&from=&to=&page=`. Dates are whole UTC days and
/// `to` is inclusive. Anything unreadable counts as "no filter": a hand-edited URL still shows
/// a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionQuery {
    pub user_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub active: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for SessionQuery {
    fn default() -> Self {
        SessionQuery {
            user_id: None,
            ticket_id: None,
            active: None,
            from: None,
            to: None,
            page: 1,
            per_page: PER_PAGE,
        }
    }
}

impl SessionQuery {
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = SessionQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "user_id" => q.user_id = value.parse().ok(),
                "ticket_id" => q.ticket_id = value.parse().ok(),
                "active" => q.active = value.parse().ok(),
                "from" => q.from = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok(),
                "to" => q.to = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok(),
                "page" => q.page = parse_page(value),
                _ => {}
            }
        }
        q
    }

    /// Start of the `from` day, in ms since the epoch.
    pub fn from_ms(&self) -> Option<i64> {
        self.from.map(day_start_ms)
    }

    /// End of the `to` day (exclusive), in ms since the epoch.
    pub fn to_ms(&self) -> Option<i64> {
        self.to.and_then(|d| d.succ_opt()).map(day_start_ms)
    }

    /// Whether a session belongs in this list (every filter but the page): the days take
    /// the sessions that overlap them, as the API does.
    pub fn matches(&self, s: &SessionInfo) -> bool {
        let started = s.started_at.timestamp_millis();
        let ended = s.ended_at.map_or(i64::MAX, |t| t.timestamp_millis());
        self.user_id.is_none_or(|u| u == s.user_id)
            && self.ticket_id.is_none_or(|t| Some(t) == s.ticket_id)
            && self.active.is_none_or(|a| a == s.ended_at.is_none())
            && self.from_ms().is_none_or(|from| ended > from)
            && self.to_ms().is_none_or(|to| started < to)
    }

    /// The filter parameters (no page), `&`-joined, for both the page and the API.
    fn filters(&self, api: bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(u) = self.user_id {
            out.push(("user_id", u.to_string()));
        }
        if let Some(t) = self.ticket_id {
            out.push(("ticket_id", t.to_string()));
        }
        if let Some(a) = self.active {
            out.push(("active", a.to_string()));
        }
        // The API takes instants; the page takes days.
        let instant = |ms: i64| rfc3339_ms(ms);
        if let Some(from) = self.from {
            out.push((
                "from",
                match api {
                    true => instant(day_start_ms(from)),
                    false => from.to_string(),
                },
            ));
        }
        if let Some(to) = self.to {
            out.push((
                "to",
                match (api, self.to_ms()) {
                    (true, Some(end)) => instant(end),
                    _ => to.to_string(),
                },
            ));
        }
        out
    }

    /// `/sessions?…&page=N`: this list's page `page`.
    pub fn page_href(&self, page: u32) -> String {
        let mut params = self.filters(false);
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        with_query("/sessions", &params)
    }

    /// The CSV download of the whole filtered list.
    pub fn csv_href(&self) -> String {
        with_query("/api/sessions/export.csv", &self.filters(true))
    }
}

/// `/audit?action=&page=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            action: None,
            page: 1,
            per_page: PER_PAGE,
        }
    }
}

impl AuditQuery {
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = AuditQuery::default();
        for (key, value) in pairs {
            match key {
                "action" => {
                    let value = value.trim();
                    q.action = (!value.is_empty()).then(|| value.to_string());
                }
                "page" => q.page = parse_page(value.trim()),
                _ => {}
            }
        }
        q
    }

    pub fn page_href(&self, page: u32) -> String {
        let mut params = Vec::new();
        if let Some(action) = &self.action {
            params.push(("action", action.clone()));
        }
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        with_query("/audit", &params)
    }
}

/// `/reports?from=&to=&group_by=`: local days of the organization, inclusive; by default
/// the last seven days, per user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: shared::timesheets::GroupBy,
}

impl ReportQuery {
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = ReportQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "from" => q.from = value.parse().ok(),
                "to" => q.to = value.parse().ok(),
                "group_by" => {
                    q.group_by = match value {
                        "ticket" => shared::timesheets::GroupBy::Ticket,
                        "day" => shared::timesheets::GroupBy::Day,
                        _ => shared::timesheets::GroupBy::User,
                    }
                }
                _ => {}
            }
        }
        q
    }

    /// The range asked for, or the seven days up to `today`.
    pub fn range(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or_else(|| to - chrono::Duration::days(6));
        (from, to)
    }

    fn params(
        from: NaiveDate,
        to: NaiveDate,
        group_by: shared::timesheets::GroupBy,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("from", from.to_string()),
            ("to", to.to_string()),
            ("group_by", group_by.as_str().to_string()),
        ]
    }

    /// The report's JSON address.
    pub fn api_path(
        from: NaiveDate,
        to: NaiveDate,
        group_by: shared::timesheets::GroupBy,
    ) -> String {
        with_query("/api/reports/time", &Self::params(from, to, group_by))
    }

    /// The CSV download of the same report.
    pub fn csv_href(
        from: NaiveDate,
        to: NaiveDate,
        group_by: shared::timesheets::GroupBy,
    ) -> String {
        with_query("/api/reports/time.csv", &Self::params(from, to, group_by))
    }

    /// This page for another grouping of the same range.
    pub fn page_href(
        from: NaiveDate,
        to: NaiveDate,
        group_by: shared::timesheets::GroupBy,
    ) -> String {
        with_query("/reports", &Self::params(from, to, group_by))
    }
}

/// `/timesheets?week=2026-W49&user=7`: the week (this one by default) and whose sessions are
/// listed under the grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimesheetQuery {
    pub week: Option<String>,
    pub user: Option<i64>,
}

impl TimesheetQuery {
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = TimesheetQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "week" if !value.is_empty() => q.week = Some(value.to_string()),
                "user" => q.user = value.parse().ok(),
                _ => {}
            }
        }
        q
    }

    pub fn href(week: &str, user: Option<i64>) -> String {
        let mut params = vec![("week", week.to_string())];
        if let Some(user) = user {
            params.push(("user", user.to_string()));
        }
        with_query("/timesheets", &params)
    }
}

/// `/screenshots?user_id=&session_id=&page=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenshotQuery {
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub page: u32,
    pub per_page: u32,
}

/// Screenshots per page: a grid of thumbnails.
pub const SCREENSHOTS_PER_PAGE: u32 = 24;

impl Default for ScreenshotQuery {
    fn default() -> Self {
        ScreenshotQuery {
            user_id: None,
            session_id: None,
            page: 1,
            per_page: SCREENSHOTS_PER_PAGE,
        }
    }
}

impl ScreenshotQuery {
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = ScreenshotQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "user_id" => q.user_id = value.parse().ok(),
                "session_id" => q.session_id = value.parse().ok(),
                "page" => q.page = parse_page(value),
                _ => {}
            }
        }
        q
    }

    pub fn page_href(&self, page: u32) -> String {
        let mut params = Vec::new();
        if let Some(id) = self.user_id {
            params.push(("user_id", id.to_string()));
        }
        if let Some(id) = self.session_id {
            params.push(("session_id", id.to_string()));
        }
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        with_query("/screenshots", &params)
    }
}

/// `/staff/{id}?active_only=true&page=`: the session history's filter (All or Active).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffQuery {
    pub user_id: i64,
    pub active_only: bool,
    pub page: u32,
    pub per_page: u32,
}

impl StaffQuery {
    pub fn parse<'a>(user_id: i64, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = StaffQuery {
            user_id,
            active_only: false,
            page: 1,
            per_page: PER_PAGE,
        };
        for (key, value) in pairs {
            match key {
                "active_only" => q.active_only = value.trim() == "true",
                "page" => q.page = parse_page(value.trim()),
                _ => {}
            }
        }
        q
    }

    /// The link to page `page` with the filter `active_only`.
    pub fn href(&self, active_only: bool, page: u32) -> String {
        let mut params = Vec::new();
        if active_only {
            params.push(("active_only", "true".to_string()));
        }
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        with_query(&format!("/staff/{}", self.user_id), &params)
    }
}

/// Just a page number: `/tickets?page=`, `/tickets/{id}?page=`.
pub fn parse_page_only<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> u32 {
    pairs
        .into_iter()
        .filter(|(k, _)| *k == "page")
        .map(|(_, v)| parse_page(v.trim()))
        .last()
        .unwrap_or(1)
}

/// `path` or `path?page=N` for a page number.
pub fn page_href(path: &str, page: u32) -> String {
    if page > 1 {
        format!("{path}?page={page}")
    } else {
        path.to_string()
    }
}

fn parse_page(value: &str) -> u32 {
    value.parse().ok().filter(|p| *p >= 1).unwrap_or(1)
}

fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(crate::time::machine)
        .unwrap_or_default()
}

fn with_query(path: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let query = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{path}?{query}")
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_query_round_trips_through_links() {
        let q = SessionQuery::parse([
            ("user_id", "4"),
            ("ticket_id", ""),
            ("active", "false"),
            ("from", "2024-05-01"),
            ("to", "2024-05-03"),
            ("page", "2"),
        ]);
        assert_eq!(q.user_id, Some(4));
        assert_eq!(q.ticket_id, None);
        assert_eq!(q.active, Some(false));
        assert_eq!(q.page, 2);
        assert_eq!(
            q.page_href(3),
            "/sessions?user_id=4&active=false&from=2024-05-01&to=2024-05-03&page=3"
        );
        assert_eq!(
            q.csv_href(),
            "/api/sessions/export.csv?user_id=4&active=false&from=2024-05-01T00%3A00%3A00Z&to=2024-05-04T00%3A00%3A00Z"
        );
        assert_eq!(SessionQuery::default().page_href(1), "/sessions");
    }

    #[test]
    fn junk_reads_as_no_filter() {
        let q = SessionQuery::parse([
            ("user_id", "x"),
            ("active", "maybe"),
            ("from", "May"),
            ("page", "0"),
        ]);
        assert_eq!(q, SessionQuery::default());
    }

    #[test]
    fn to_day_is_inclusive() {
        let q = SessionQuery::parse([("from", "2024-05-01"), ("to", "2024-05-01")]);
        assert_eq!(q.to_ms().unwrap() - q.from_ms().unwrap(), 86_400_000);
    }

    #[test]
    fn staff_query_links() {
        let q = StaffQuery::parse(7, [("active_only", "true"), ("page", "3")]);
        assert!(q.active_only);
        assert_eq!(q.page, 3);
        assert_eq!(q.href(true, 2), "/staff/7?active_only=true&page=2");
        assert_eq!(q.href(false, 1), "/staff/7");
        assert!(!StaffQuery::parse(7, [("active_only", "yes")]).active_only);
    }

    #[test]
    fn audit_query_links() {
        let q = AuditQuery::parse([("action", "POLICY_CHANGED"), ("page", "2")]);
        assert_eq!(q.page_href(1), "/audit?action=POLICY_CHANGED");
        assert_eq!(AuditQuery::parse([("action", " ")]).action, None);
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
