//! The status page's live state and how `/ws/tab` messages change it; the live link's state.

use leptos::prelude::*;
use shared::game_servers::CoverageAlert;
use shared::protocol::ServerToTab;
use shared::PresenceEntry;

use crate::data::StatusPageData;

/// The state of the page's `/ws/tab` connection, shown as `#live-state[data-live]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    Connecting,
    Connected,
    Reconnecting,
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Connecting => "connecting",
            LiveState::Connected => "connected",
            LiveState::Reconnecting => "reconnecting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LiveState::Connecting => "Connecting…",
            LiveState::Connected => "Live",
            LiveState::Reconnecting => "Reconnecting…",
        }
    }
}

/// One table row: its user id (the key) and its entry, which changes in place.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub entry: ArcRwSignal<PresenceEntry>,
}

impl Row {
    fn new(entry: PresenceEntry) -> Self {
        Row {
            id: entry.user_id,
            entry: ArcRwSignal::new(entry),
        }
    }

    fn sort_key(&self) -> (String, i64) {
        self.entry.with_untracked(|e| (e.name.clone(), e.user_id))
    }
}

/// The order of the table, the same as the hub's: by name, then by id.
pub fn sort_entries(entries: &mut [PresenceEntry]) {
    entries.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
}

fn sort_rows(rows: &mut [Row]) {
    rows.sort_by_cached_key(Row::sort_key);
}

/// Everything on the status page that changes after the first render.
#[derive(Debug, Clone, Copy)]
pub struct StatusStore {
    pub rows: RwSignal<Vec<Row>>,
    pub idle_threshold_seconds: RwSignal<u32>,
    /// Game servers short of staff now, oldest alert first.
    pub coverage_alerts: RwSignal<Vec<CoverageAlert>>,
    /// The browser clock in ms since the epoch; `None` on the server and until hydrated.
    pub now_ms: RwSignal<Option<i64>>,
}

impl StatusStore {
    pub fn new(initial: Option<StatusPageData>, now_ms: RwSignal<Option<i64>>) -> Self {
        let StatusPageData {
            mut users,
            idle_threshold_seconds,
            coverage_alerts,
        } = initial.unwrap_or(StatusPageData {
            users: Vec::new(),
            idle_threshold_seconds: shared::Policy::default().idle_threshold_seconds,
            coverage_alerts: Vec::new(),
        });
        sort_entries(&mut users);
        StatusStore {
            rows: RwSignal::new(users.into_iter().map(Row::new).collect()),
            idle_threshold_seconds: RwSignal::new(idle_threshold_seconds),
            coverage_alerts: RwSignal::new(coverage_alerts),
            now_ms,
        }
    }

    /// Applies one message from `/ws/tab`.
    pub fn apply(&self, message: ServerToTab) {
        match message {
            ServerToTab::PresenceSnapshot { users } => self.replace_all(users),
            ServerToTab::PresenceDiff { changes } => self.upsert(changes),
            ServerToTab::SessionStarted { session } => {
                if let Some(row) = self.find(|e| e.user_id == session.user_id) {
                    row.entry.update(|e| e.active_session = Some(session));
                }
            }
            ServerToTab::SessionEnded(ended) => {
                let running = |e: &PresenceEntry| {
                    e.active_session
                        .as_ref()
                        .is_some_and(|s| s.id == ended.session_id)
                };
                if let Some(row) = self.find(running) {
                    row.entry.update(|e| e.active_session = None);
                }
            }
            ServerToTab::SessionUpdated { session } => {
                let running = |e: &PresenceEntry| {
                    e.active_session
                        .as_ref()
                        .is_some_and(|s| s.id == session.id)
                };
                if let Some(row) = self.find(running) {
                    let still_running = session.ended_at.is_none();
                    row.entry
                        .update(|e| e.active_session = still_running.then_some(session));
                }
            }
            ServerToTab::ConfigUpdated(update) => {
                self.idle_threshold_seconds
                    .set(update.config.idle_threshold_seconds);
            }
            ServerToTab::Error { error } => {
                leptos::logging::warn!("hub: {}: {}", error.code, error.message);
            }
            ServerToTab::CoverageAlert(alert) => self.coverage_alerts.update(|alerts| {
                alerts.retain(|a| a.server_id != alert.server_id);
                alerts.push(alert);
            }),
            ServerToTab::CoverageCleared(cleared) => self
                .coverage_alerts
                .update(|alerts| alerts.retain(|a| a.server_id != cleared.server_id)),
            // A server disabled or deleted while short of staff: its alert is gone.
            ServerToTab::GameServerUpdated(update) => {
                let id = update.server.id;
                let gone = update.deleted || update.server.coverage_alert.is_none();
                if gone
                    && self
                        .coverage_alerts
                        .with_untracked(|a| a.iter().any(|a| a.server_id == id))
                {
                    self.coverage_alerts
                        .update(|alerts| alerts.retain(|a| a.server_id != id));
                }
            }
            // Timesheets and absences have their own pages; a deleted session has ended.
            ServerToTab::AgentsUpdated { .. }
            | ServerToTab::WebhookDeliveryUpdated(_)
            | ServerToTab::SessionDeleted(_)
            | ServerToTab::TimesheetUpdated(_)
            | ServerToTab::AbsenceUpdated(_) => {}
        }
    }

    fn find(&self, pred: impl Fn(&PresenceEntry) -> bool) -> Option<Row> {
        self.rows
            .with_untracked(|rows| rows.iter().find(|r| r.entry.with_untracked(&pred)).cloned())
    }

    /// A snapshot: these users and no others. Rows that stay keep their signals.
    fn replace_all(&self, mut users: Vec<PresenceEntry>) {
        sort_entries(&mut users);
        let old = self.rows.get_untracked();
        let rows = users
            .into_iter()
            .map(|entry| match old.iter().find(|r| r.id == entry.user_id) {
                Some(row) => {
                    set_if_changed(&row.entry, entry);
                    row.clone()
                }
                None => Row::new(entry),
            })
            .collect::<Vec<_>>();
        let same_keys = rows.len() == old.len() && rows.iter().zip(&old).all(|(a, b)| a.id == b.id);
        if !same_keys {
            self.rows.set(rows);
        }
    }

    /// A diff: update the users that changed, add the new ones, keep the order.
    fn upsert(&self, changes: Vec<PresenceEntry>) {
        let mut rows = self.rows.get_untracked();
        let mut reshaped = false;
        for entry in changes {
            match rows.iter().find(|r| r.id == entry.user_id) {
                Some(row) => {
                    reshaped |= row.entry.with_untracked(|e| e.name != entry.name);
                    set_if_changed(&row.entry, entry);
                }
                None => {
                    rows.push(Row::new(entry));
                    reshaped = true;
                }
            }
        }
        if reshaped {
            sort_rows(&mut rows);
            self.rows.set(rows);
        }
    }
}

fn set_if_changed(signal: &ArcRwSignal<PresenceEntry>, entry: PresenceEntry) {
    if signal.with_untracked(|e| *e != entry) {
        signal.set(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{SessionEnded, SessionInfo};
    use shared::{PresenceStatus, Role};

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

    fn session(id: i64, user_id: i64) -> SessionInfo {
        SessionInfo {
            id,
            org_id: 1,
            user_id,
            ticket_id: None,
            started_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            ended_at: None,
            duration_seconds: None,
            note: None,
            source: "web".to_string(),
            end_reason: None,
            end_note: None,
            ended_by: None,
            user_name: None,
            ticket_title: None,
            discarded_seconds: 0,
        }
    }

    fn ids(store: &StatusStore) -> Vec<i64> {
        store
            .rows
            .with_untracked(|r| r.iter().map(|r| r.id).collect())
    }

    fn status_of(store: &StatusStore, id: i64) -> PresenceStatus {
        store
            .find(|e| e.user_id == id)
            .unwrap()
            .entry
            .with_untracked(|e| e.status)
    }

    fn store_with(users: Vec<PresenceEntry>) -> StatusStore {
        StatusStore::new(
            Some(StatusPageData {
                users,
                idle_threshold_seconds: 300,
                coverage_alerts: Vec::new(),
            }),
            RwSignal::new(None),
        )
    }

    #[test]
    fn initial_rows_are_sorted_by_name_then_id() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            use PresenceStatus::*;
            let s = store_with(vec![
                entry(3, "Bea", Idle),
                entry(2, "Al", Active),
                entry(1, "Bea", Offline),
            ]);
            assert_eq!(ids(&s), vec![2, 1, 3]);
        })
    }

    #[test]
    fn diff_updates_in_place_and_inserts_sorted() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            use PresenceStatus::*;
            let s = store_with(vec![entry(1, "Al", Offline), entry(2, "Cy", Offline)]);
            let kept = s.find(|e| e.user_id == 1).unwrap().entry;
            s.apply(ServerToTab::PresenceDiff {
                changes: vec![entry(1, "Al", Active), entry(5, "Bo", Idle)],
            });
            assert_eq!(ids(&s), vec![1, 5, 2]);
            assert_eq!(status_of(&s, 1), Active);
            // The row kept its signal: the DOM row is updated, not replaced.
            assert!(kept.with_untracked(|e| e.status == Active));
            // A rename moves the row.
            s.apply(ServerToTab::PresenceDiff {
                changes: vec![entry(1, "Zed", Active)],
            });
            assert_eq!(ids(&s), vec![5, 2, 1]);
        })
    }

    #[test]
    fn snapshot_replaces_everything() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            use PresenceStatus::*;
            let s = store_with(vec![entry(1, "Al", Offline), entry(2, "Cy", Offline)]);
            s.apply(ServerToTab::PresenceSnapshot {
                users: vec![entry(2, "Cy", Active), entry(4, "Ann", Idle)],
            });
            assert_eq!(ids(&s), vec![4, 2]);
            assert_eq!(status_of(&s, 2), Active);
        })
    }

    #[test]
    fn sessions_start_and_end() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            use PresenceStatus::*;
            let s = store_with(vec![entry(1, "Al", Active), entry(2, "Cy", Active)]);
            s.apply(ServerToTab::SessionStarted {
                session: session(9, 2),
            });
            let running = |id| {
                s.find(|e| e.user_id == id)
                    .unwrap()
                    .entry
                    .with_untracked(|e| e.active_session.clone())
            };
            assert_eq!(running(2).map(|s| s.id), Some(9));
            s.apply(ServerToTab::SessionEnded(SessionEnded {
                session_id: 9,
                reason: "done".into(),
                ended_by: None,
                ended_at: chrono::Utc::now(),
            }));
            assert_eq!(running(2), None);
            assert_eq!(running(1), None);
        })
    }

    #[test]
    fn the_idle_threshold_follows_the_policy() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let s = store_with(vec![]);
            let config = shared::Policy {
                idle_threshold_seconds: 120,
                ..shared::Policy::default()
            };
            s.apply(ServerToTab::ConfigUpdated(
                shared::protocol::ConfigUpdated {
                    config_version: 2,
                    config,
                    changed: vec!["idle_threshold_seconds".into()],
                },
            ));
            assert_eq!(s.idle_threshold_seconds.get_untracked(), 120);
        })
    }

    #[test]
    fn messages_parse_from_the_wire() {
        // Signals need an owner (the `ssr` build sandboxes them in arenas).
        Owner::new().with(|| {
            let s = store_with(vec![]);
            let text = r#"{"type":"presence_diff","changes":[{"user_id":7,"name":"Eve","role":"admin",
                "status":"idle","last_activity_at":"2024-05-01T12:00:00Z","active_session":null}]}"#;
            s.apply(serde_json::from_str(text).unwrap());
            assert_eq!(ids(&s), vec![7]);
            assert_eq!(status_of(&s, 7), PresenceStatus::Idle);
        })
    }
}
