//! A page of work sessions (on `/sessions` and `/tickets/{id}`) and how pushes and the page's
//! own actions change it: started sessions that match the filters appear, ended ones change
//! in place (or leave an "active only" list).

use leptos::prelude::*;
use shared::api::Paged;
use shared::protocol::{ServerToTab, SessionEnded, SessionInfo};

use crate::query::SessionQuery;

/// One row: the session id (the key) and its data, which changes in place.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub info: ArcRwSignal<SessionInfo>,
}

impl SessionRow {
    fn new(info: SessionInfo) -> Self {
        SessionRow {
            id: info.id,
            info: ArcRwSignal::new(info),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SessionListStore {
    pub rows: RwSignal<Vec<SessionRow>>,
    pub total: RwSignal<i64>,
    query: StoredValue<SessionQuery>,
}

/// Newest first, as the hub lists them: by start, then id.
fn newer(a: &SessionInfo, b: &SessionInfo) -> bool {
    (a.started_at, a.id) > (b.started_at, b.id)
}

/// The session after `ended`. The push does not say how it ended: a session ended by someone
/// other than its user was ended by an admin, one ended by nobody by a policy rule; both
/// carry their reason.
pub fn apply_end(s: &mut SessionInfo, ended: &SessionEnded) {
    s.ended_at = Some(ended.ended_at);
    s.duration_seconds =
        Some(((ended.ended_at - s.started_at).num_seconds() - s.discarded_seconds).max(0));
    s.ended_by = ended.ended_by;
    match ended.ended_by {
        None => {
            s.end_reason = Some("auto_stopped".into());
            s.end_note = Some(ended.reason.clone());
        }
        Some(by) if by != s.user_id => {
            s.end_reason = Some("admin_ended".into());
            s.end_note = Some(ended.reason.clone());
        }
        Some(_) => s.end_reason = Some("stopped".into()),
    }
}

impl SessionListStore {
    pub fn new(list: Paged<SessionInfo>, query: SessionQuery) -> Self {
        SessionListStore {
            rows: RwSignal::new(list.items.into_iter().map(SessionRow::new).collect()),
            total: RwSignal::new(list.total),
            query: StoredValue::new(query),
        }
    }

    /// Applies a push: a started session that belongs here appears; an ended one changes.
    pub fn apply(&self, message: &ServerToTab) {
        match message {
            ServerToTab::SessionStarted { session } => self.upsert(session.clone()),
            ServerToTab::SessionEnded(ended) => self.ended(ended),
            ServerToTab::SessionUpdated { session }
                if self.find(session.id).is_some() || session.ended_at.is_none() =>
            {
                self.upsert(session.clone())
            }
            ServerToTab::SessionDeleted(deleted) => self.remove(deleted.session_id),
            _ => {}
        }
    }

    fn find(&self, id: i64) -> Option<SessionRow> {
        self.rows
            .with_untracked(|rows| rows.iter().find(|r| r.id == id).cloned())
    }

    fn remove(&self, id: i64) {
        if self.find(id).is_some() {
            self.rows.update(|rows| rows.retain(|r| r.id != id));
            self.total.update(|t| *t = (*t - 1).max(0));
        }
    }

    fn ended(&self, ended: &SessionEnded) {
        let Some(row) = self.find(ended.session_id) else {
            return;
        };
        if row.info.with_untracked(|s| s.ended_at.is_some()) {
            return;
        }
        let mut info = row.info.get_untracked();
        apply_end(&mut info, ended);
        self.upsert(info);
    }

    /// A session as the hub now has it (a push, or the answer to this page's own request):
    /// updated in place, added where it sorts, or removed when it no longer matches.
    pub fn upsert(&self, info: SessionInfo) {
        let query = self.query.get_value();
        let matches = query.matches(&info);
        if let Some(row) = self.find(info.id) {
            if matches {
                if row.info.with_untracked(|s| *s != info) {
                    row.info.set(info);
                }
            } else {
                self.rows.update(|rows| rows.retain(|r| r.id != info.id));
                self.total.update(|t| *t = (*t - 1).max(0));
            }
            return;
        }
        if !matches {
            return;
        }
        self.total.update(|t| *t += 1);
        let per_page = query.per_page.max(1) as usize;
        self.rows.update(|rows| {
            let at = rows
                .iter()
                .position(|r| r.info.with_untracked(|s| newer(&info, s)))
                .unwrap_or(rows.len());
            // Only where it belongs on this page: before the last row, or on a page with room;
            // never above the first row of a later page.
            let fits = (at < rows.len() || rows.len() < per_page) && (query.page == 1 || at > 0);
            if fits {
                rows.insert(at, SessionRow::new(info));
                rows.truncate(per_page);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn session(id: i64, user_id: i64, started: i64, ended: Option<i64>) -> SessionInfo {
        SessionInfo {
            id,
            org_id: 1,
            user_id,
            ticket_id: None,
            started_at: at(started),
            ended_at: ended.map(at),
            duration_seconds: ended.map(|e| e - started),
            note: None,
            source: "web".into(),
            end_reason: ended.map(|_| "stopped".into()),
            end_note: None,
            ended_by: None,
            user_name: Some("Al".into()),
            ticket_title: None,
            discarded_seconds: 0,
        }
    }

    fn store(items: Vec<SessionInfo>, query: SessionQuery) -> SessionListStore {
        let total = items.len() as i64;
        SessionListStore::new(
            Paged {
                items,
                page: 1,
                per_page: query.per_page,
                total,
            },
            query,
        )
    }

    fn ids(s: &SessionListStore) -> Vec<i64> {
        s.rows.with_untracked(|r| r.iter().map(|r| r.id).collect())
    }

    fn ended(id: i64, by: i64, secs: i64) -> ServerToTab {
        ServerToTab::SessionEnded(SessionEnded {
            session_id: id,
            reason: "Go home".into(),
            ended_by: Some(by),
            ended_at: at(secs),
        })
    }

    #[test]
    fn started_sessions_appear_on_top_when_they_match() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let query = SessionQuery {
                user_id: Some(1),
                ..SessionQuery::default()
            };
            let s = store(vec![session(2, 1, 100, Some(200))], query);
            s.apply(&ServerToTab::SessionStarted {
                session: session(3, 1, 300, None),
            });
            s.apply(&ServerToTab::SessionStarted {
                session: session(4, 2, 400, None),
            });
            assert_eq!(ids(&s), vec![3, 2]);
            assert_eq!(s.total.get_untracked(), 2);
            // A push after the page's own update changes nothing.
            s.apply(&ServerToTab::SessionStarted {
                session: session(3, 1, 300, None),
            });
            assert_eq!(ids(&s), vec![3, 2]);
        })
    }

    #[test]
    fn ended_sessions_change_in_place_or_leave_an_active_list() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let all = store(vec![session(5, 1, 0, None)], SessionQuery::default());
            all.apply(&ended(5, 9, 90));
            let info = all.find(5).unwrap().info.get_untracked();
            assert_eq!(info.duration_seconds, Some(90));
            assert_eq!(info.end_reason.as_deref(), Some("admin_ended"));
            assert_eq!(info.end_note.as_deref(), Some("Go home"));

            let active = store(
                vec![session(5, 1, 0, None), session(4, 2, -10, None)],
                SessionQuery {
                    active: Some(true),
                    ..SessionQuery::default()
                },
            );
            active.apply(&ended(5, 1, 90));
            assert_eq!(ids(&active), vec![4]);
            assert_eq!(active.total.get_untracked(), 1);
        })
    }

    #[test]
    fn a_full_page_keeps_its_size() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let query = SessionQuery {
                per_page: 2,
                ..SessionQuery::default()
            };
            let s = store(
                vec![session(2, 1, 200, Some(250)), session(1, 1, 100, Some(150))],
                query,
            );
            // Older than the whole page: it belongs on a later page.
            s.upsert(session(0, 1, 10, Some(20)));
            assert_eq!(ids(&s), vec![2, 1]);
            s.upsert(session(3, 1, 300, None));
            assert_eq!(ids(&s), vec![3, 2]);
            assert_eq!(s.total.get_untracked(), 4);
        })
    }
}
