//! The status table's rows as the server sends them: the markup of [`StatusRow`] written
//! straight into one string, for the first render of `/` only.
//!
//! Why by hand: `/` for a 1,000-user organization is 1,000 rows of five cells, and Leptos'
//! server rendering of them (a reactive owner and nested buffers per row and cell) was most of
//! the page's 8.2 ms with the hub alone and 11.8 ms under the benchmark's load; this writer does
//! the rows in a fraction of a millisecond. The browser hydrates the table body as it is and then
//! swaps in the live rows of [`StatusRow`] from the same data (`status_table.rs`), so the page is
//! complete without JavaScript and live with it. The test below renders both for the same
//! entries and requires the same markup, so the two cannot drift apart.
//!
//! [`StatusRow`]: crate::components::status_row::StatusRow

use html_escape::{encode_double_quoted_attribute, encode_text};
use shared::PresenceEntry;

use crate::components::status_dot::dot_class;
use crate::time::{absolute, machine};

/// Appends the `<tr>` of one entry to `out`; `can_end`: admins and owners get "End session".
pub fn push_status_row(out: &mut String, e: &PresenceEntry, can_end: bool) {
    out.push_str("<tr data-user-id=\"");
    out.push_str(&e.user_id.to_string());
    out.push_str("\" data-status=\"");
    out.push_str(e.status.as_str());
    out.push_str("\"><td class=\"name\">");
    out.push_str(&encode_text(&e.name));
    out.push_str("</td><td class=\"role\">");
    out.push_str(e.role.as_str());
    out.push_str("</td><td class=\"status\"><span aria-hidden=\"true\" class=\"");
    out.push_str(dot_class(e.status));
    out.push_str("\"></span><span class=\"status-word\">");
    out.push_str(e.status.as_str());
    out.push_str("</span>");
    if e.dnd {
        out.push_str("<span title=\"Do not disturb\" class=\"dnd\">do not disturb</span>");
    }
    if let Some(c) = &e.context {
        out.push_str("<span data-context=\"");
        out.push_str(c.kind.as_str());
        out.push_str("\" class=\"context\">");
        out.push_str(&encode_text(&c.text()));
        out.push_str("</span>");
    }
    out.push_str("</td><td class=\"last-activity\">");
    match e.last_activity_at {
        None => out.push_str("<span class=\"never\">never</span>"),
        Some(at) => {
            let shown = absolute(at);
            out.push_str("<time datetime=\"");
            out.push_str(&machine(at));
            out.push_str("\" title=\"");
            out.push_str(&encode_double_quoted_attribute(&shown));
            out.push_str("\">");
            out.push_str(&encode_text(&shown));
            out.push_str("</time>");
        }
    }
    out.push_str("</td><td class=\"session\">");
    match &e.active_session {
        None => out.push_str(
            "<span class=\"no-session\"><span aria-hidden=\"true\">—</span>\
             <span class=\"visually-hidden\">No session</span></span>",
        ),
        Some(session) => {
            let shown = absolute(session.started_at);
            out.push_str("<span data-session-id=\"");
            out.push_str(&session.id.to_string());
            out.push_str("\" class=\"session-running\"><time datetime=\"");
            out.push_str(&machine(session.started_at));
            out.push_str("\" title=\"");
            out.push_str(&encode_double_quoted_attribute(&format!("Started {shown}")));
            out.push_str("\" class=\"session-timer\">");
            out.push_str(&encode_text(&format!("since {shown}")));
            out.push_str("</time>");
            let detail = [session.ticket_title.as_deref(), session.note.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>();
            if !detail.is_empty() {
                out.push_str("<span class=\"session-note\">");
                out.push_str(&encode_text(&detail.join(" · ")));
                out.push_str("</span>");
            }
            out.push_str("</span>");
            if can_end {
                out.push_str("<button type=\"button\" data-session-id=\"");
                out.push_str(&session.id.to_string());
                out.push_str("\" aria-label=\"");
                out.push_str(&encode_double_quoted_attribute(&format!(
                    "End session of {}",
                    e.name
                )));
                out.push_str(
                    "\" aria-haspopup=\"dialog\" class=\"end-session danger-outline\">End session</button>",
                );
            }
        }
    }
    out.push_str("</td></tr>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::end_session::EndTarget;
    use crate::components::status_row::StatusRow;
    use chrono::DateTime;
    use leptos::prelude::*;
    use shared::protocol::SessionInfo;
    use shared::{PresenceStatus, Role};

    /// The `<tr>`s of `entries`, in order.
    fn status_rows_html(entries: &[PresenceEntry], can_end: bool) -> String {
        let mut out = String::new();
        for entry in entries {
            push_status_row(&mut out, entry, can_end);
        }
        out
    }

    fn entry(id: i64, name: &str, status: PresenceStatus) -> PresenceEntry {
        PresenceEntry {
            user_id: id,
            name: name.to_string(),
            role: Role::Member,
            status,
            last_activity_at: None,
            active_session: None,
            context: None,
            dnd: false,
        }
    }

    fn session(id: i64, user_id: i64, ticket: Option<&str>, note: Option<&str>) -> SessionInfo {
        SessionInfo {
            id,
            org_id: 1,
            user_id,
            ticket_id: ticket.map(|_| 9),
            started_at: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            ended_at: None,
            duration_seconds: None,
            note: note.map(str::to_string),
            source: "web".into(),
            end_reason: None,
            end_note: None,
            ended_by: None,
            user_name: None,
            ticket_title: ticket.map(str::to_string),
            discarded_seconds: 0,
        }
    }

    fn entries() -> Vec<PresenceEntry> {
        let mut quiet = entry(1, "Ada <Lovelace> & \"friends\"", PresenceStatus::Offline);
        quiet.role = Role::Owner;
        let mut seen = entry(2, "Bob O'Brien", PresenceStatus::Idle);
        seen.last_activity_at = DateTime::from_timestamp(1_700_000_100, 0);
        let mut working = entry(3, "Cleo", PresenceStatus::Active);
        working.last_activity_at = DateTime::from_timestamp(1_700_000_200, 0);
        working.active_session = Some(session(
            41,
            3,
            Some("Login <bug>"),
            Some("fixing & testing"),
        ));
        working.context = Some(shared::PresenceContext {
            kind: shared::ContextKind::Ticket,
            label: "#9 Login <bug>".into(),
            since: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            emoji: None,
            until: None,
        });
        let mut bare = entry(4, "Dan", PresenceStatus::Active);
        bare.active_session = Some(session(42, 4, None, Some("")));
        bare.dnd = true;
        bare.context = Some(shared::PresenceContext {
            kind: shared::ContextKind::Custom,
            label: "Dentist & back".into(),
            since: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            emoji: Some("🦷".into()),
            until: None,
        });
        vec![quiet, seen, working, bare]
    }

    /// What Leptos renders for the rows, without its hydration markers (comments), which the
    /// hydrated table body does not need: the browser swaps in live rows.
    fn leptos_rows(entries: &[PresenceEntry], can_end: bool) -> String {
        let owner = Owner::new();
        let html = owner.with(|| {
            let now_ms = RwSignal::new(None);
            let on_end = can_end.then(|| Callback::new(|_: EndTarget| {}));
            entries
                .iter()
                .map(|e| {
                    let entry = ArcRwSignal::new(e.clone());
                    view! { <StatusRow entry now_ms on_end/> }.to_html()
                })
                .collect::<String>()
        });
        strip_comments(&html)
    }

    fn strip_comments(html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(start) = rest.find("<!") {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            let end = if after.starts_with("<!--") {
                after.find("-->").map(|i| i + 3)
            } else {
                after.find('>').map(|i| i + 1)
            };
            rest = &after[end.unwrap_or(after.len())..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn the_rows_are_the_markup_of_status_row_for_members_and_admins() {
        let entries = entries();
        for can_end in [false, true] {
            let written = status_rows_html(&entries, can_end);
            assert_eq!(
                written,
                leptos_rows(&entries, can_end),
                "can_end = {can_end}"
            );
        }
    }

    #[test]
    fn names_and_notes_are_escaped_and_only_admins_get_the_button() {
        let entries = entries();
        let member = status_rows_html(&entries, false);
        assert!(
            member.contains("Ada &lt;Lovelace&gt; &amp; \"friends\""),
            "{member}"
        );
        assert!(
            member.contains("Login &lt;bug&gt; · fixing &amp; testing"),
            "{member}"
        );
        assert!(!member.contains("end-session"));
        let admin = status_rows_html(&entries, true);
        assert_eq!(admin.matches("class=\"end-session").count(), 2, "{admin}");
        assert!(admin.contains("aria-label=\"End session of Cleo\""));
        assert_eq!(admin.matches("<tr ").count(), 4);
    }
}
