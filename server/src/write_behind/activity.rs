//! Coalesced write-through of session activity: heartbeats add to in-memory sums per session
//! (per 10-minute slot, per app), and each flush writes the sums in one transaction, so the
//! database sees a bounded number of rows per session per flush however fast heartbeats come.
//! The sums live in shards, so concurrent heartbeats rarely wait for one another.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::domain::activity::SlotCounts;
use crate::metrics::Metrics;
use crate::store::{AppWrite, SlotWrite, Store};
use hub_core::records::BeatActivity;

const SHARDS: usize = 16;
/// Rows (slots and apps) written per transaction by [`ActivityWriter::flush`].
pub const ACTIVITY_BATCH_ROWS: usize = 50;

#[derive(Debug, Default)]
struct PendingApp {
    active_ms: i64,
    last_title: Option<String>,
}

#[derive(Debug, Default)]
struct PendingSession {
    user_id: i64,
    /// Usually one slot, two around a slot boundary.
    slots: Vec<(i64, SlotCounts)>,
    apps: HashMap<String, PendingApp>,
}

impl PendingSession {
    fn add_slot(&mut self, slot_start: i64, counts: &SlotCounts) {
        match self.slots.iter_mut().find(|(s, _)| *s == slot_start) {
            Some((_, sums)) => sums.add(counts),
            None => self.slots.push((slot_start, *counts)),
        }
    }

    fn add_app(&mut self, app: String, title: Option<String>, ms: i64) {
        let entry = match self.apps.get_mut(app.as_str()) {
            Some(entry) => entry,
            None => self.apps.entry(app).or_default(),
        };
        entry.active_ms += ms;
        if title.is_some() {
            entry.last_title = title;
        }
    }
}

type Shard = HashMap<i64, PendingSession>;

pub struct ActivityWriter {
    shards: Vec<Mutex<Shard>>,
    metrics: Metrics,
}

impl ActivityWriter {
    pub fn new(metrics: Metrics) -> Self {
        ActivityWriter {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            metrics,
        }
    }

    fn shard(&self, session_id: i64) -> MutexGuard<'_, Shard> {
        let i = session_id.rem_euclid(SHARDS as i64) as usize;
        match self.shards[i].lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Adds one heartbeat to its session's pending sums.
    pub fn note(&self, beat: BeatActivity) {
        let mut shard = self.shard(beat.session_id);
        let pending = shard.entry(beat.session_id).or_default();
        pending.user_id = beat.user_id;
        pending.add_slot(beat.slot_start, &beat.counts);
        if let Some((app, title, ms)) = beat.app {
            pending.add_app(app, (!title.is_empty()).then_some(title), ms);
        }
    }

    fn take(&self) -> (Vec<SlotWrite>, Vec<AppWrite>) {
        let mut slots = Vec::new();
        let mut apps = Vec::new();
        for shard in &self.shards {
            let drained: Shard = match shard.lock() {
                Ok(mut g) => std::mem::take(&mut *g),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            };
            for (session_id, p) in drained {
                for (slot_start, counts) in p.slots {
                    slots.push(SlotWrite {
                        session_id,
                        user_id: p.user_id,
                        slot_start,
                        counts,
                    });
                }
                for (app, a) in p.apps {
                    apps.push(AppWrite {
                        session_id,
                        user_id: p.user_id,
                        app,
                        active_ms: a.active_ms,
                        last_title: a.last_title,
                    });
                }
            }
        }
        (slots, apps)
    }

    /// Puts a failed batch back; sums are additive, so it merges with what arrived meanwhile
    /// (a newer title wins).
    fn restore(&self, slots: Vec<SlotWrite>, apps: Vec<AppWrite>) {
        for w in slots {
            let mut shard = self.shard(w.session_id);
            let p = shard.entry(w.session_id).or_default();
            p.user_id = w.user_id;
            p.add_slot(w.slot_start, &w.counts);
        }
        for w in apps {
            let mut shard = self.shard(w.session_id);
            let p = shard.entry(w.session_id).or_default();
            p.user_id = w.user_id;
            let entry = p.apps.entry(w.app).or_default();
            entry.active_ms += w.active_ms;
            if entry.last_title.is_none() {
                entry.last_title = w.last_title;
            }
        }
    }

    /// Writes the pending sums, [`ACTIVITY_BATCH_ROWS`] rows per transaction: the rows are a
    /// statement each, and the single SQLite writer must not be held long by them while a
    /// force-end waits. A failed batch and the ones after it go back (the committed ones do
    /// not: sums are added, so writing them twice would count them twice).
    pub async fn flush(&self, store: &Store) -> bool {
        let (mut slots, mut apps) = self.take();
        while !slots.is_empty() || !apps.is_empty() {
            let slot_rows = slots.len().min(ACTIVITY_BATCH_ROWS);
            let app_rows = apps.len().min(ACTIVITY_BATCH_ROWS - slot_rows);
            let later_slots = slots.split_off(slot_rows);
            let later_apps = apps.split_off(app_rows);
            let rows = slots.len() + apps.len();
            match store.write_activity(&slots, &apps).await {
                Ok(()) => {
                    self.metrics.activity_rows_written.inc_by(rows as u64);
                    tracing::trace!(rows, "activity flushed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, rows, "activity flush failed; will retry");
                    slots.extend(later_slots);
                    apps.extend(later_apps);
                    self.restore(slots, apps);
                    return false;
                }
            }
            slots = later_slots;
            apps = later_apps;
        }
        true
    }

    /// Flushes every `interval` until cancelled (the final flush is the caller's, at stop).
    pub async fn run(&self, store: Store, interval: Duration, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => { self.flush(&store).await; }
            }
        }
    }

    /// Sessions with sums not written yet.
    pub fn pending_len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|g| g.len()).unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(
        session_id: i64,
        slot_start: i64,
        keys: u32,
        app: Option<(&str, &str, i64)>,
    ) -> BeatActivity {
        BeatActivity {
            session_id,
            user_id: 7,
            slot_start,
            counts: SlotCounts::of_heartbeat(0, 300_000, Some(keys), None),
            app: app.map(|(a, t, ms)| (a.to_string(), t.to_string(), ms)),
        }
    }

    #[test]
    fn heartbeats_coalesce_into_one_row_per_slot_and_app() {
        let w = ActivityWriter::new(Metrics::new());
        for _ in 0..1000 {
            w.note(beat(1, 0, 2, Some(("code", "main.rs", 5_000))));
        }
        w.note(beat(1, 600_000, 0, Some(("firefox", "", 1_000))));
        w.note(beat(2, 0, 1, None));
        assert_eq!(w.pending_len(), 2);
        let (mut slots, mut apps) = w.take();
        slots.sort_by_key(|s| (s.session_id, s.slot_start));
        apps.sort_by(|a, b| a.app.cmp(&b.app));
        assert_eq!(slots.len(), 3);
        assert_eq!(slots[0].counts.heartbeats, 1000);
        assert_eq!(slots[0].counts.key_presses, 2000);
        assert_eq!(slots[1].counts.input_heartbeats, 0);
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0].active_ms, 5_000_000);
        assert_eq!(apps[0].last_title.as_deref(), Some("main.rs"));
        assert_eq!(apps[1].last_title, None);
        assert_eq!(w.pending_len(), 0);
        // A failed write goes back and merges with newer heartbeats.
        w.note(beat(1, 0, 1, Some(("code", "lib.rs", 1_000))));
        w.restore(slots, apps);
        let (slots, apps) = w.take();
        let first = slots
            .iter()
            .find(|s| s.session_id == 1 && s.slot_start == 0)
            .unwrap();
        assert_eq!(first.counts.heartbeats, 1001);
        let code = apps.iter().find(|a| a.app == "code").unwrap();
        assert_eq!(code.active_ms, 5_001_000);
        assert_eq!(code.last_title.as_deref(), Some("lib.rs"));
    }

    #[tokio::test]
    async fn a_flush_larger_than_a_batch_writes_every_row_once() {
        use crate::store::{Created, NewSession, NewUser};
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/activity.db", dir.path().display());
        let store = Store::connect(&url, Metrics::new()).await.expect("store");
        let org = store.create_org("Batches", "UTC").await.expect("org");
        let user = store
            .create_user(NewUser {
                org_id: org.id,
                email: "batch@example.com",
                name: "Batch",
                role: shared::Role::Member,
                password_hash: "x",
                game_name: None,
                steam_id: None,
                discord: None,
                timezone: None,
            })
            .await
            .expect("user");
        let (created, _) = store
            .create_session(
                NewSession {
                    org_id: org.id,
                    user_id: user.id,
                    ticket_id: None,
                    started_at: 0,
                    ended_at: None,
                    note: None,
                    source: "web",
                    client_id: None,
                    weeks: Vec::new(),
                },
                |_| None,
            )
            .await
            .expect("session");
        let session_id = match created {
            Created::New(s) | Created::Existing(s) => s.id,
        };
        let w = ActivityWriter::new(Metrics::new());
        // Two and a half batches: 2 slots and 123 apps.
        let apps = 2 * ACTIVITY_BATCH_ROWS + ACTIVITY_BATCH_ROWS / 2 - 2;
        for round in 0..2 {
            for a in 0..apps {
                let mut b = beat(session_id, (a % 2) as i64 * 600_000, 1, None);
                b.user_id = user.id;
                b.app = Some((format!("app-{a:03}"), format!("title {round}"), 1_000));
                w.note(b);
            }
        }
        assert!(w.flush(&store).await, "the flush succeeds");
        assert_eq!(w.pending_len(), 0);
        let stored = store.session_app_times(session_id).await.expect("apps");
        assert_eq!(stored.len(), apps, "every app row, once");
        assert!(stored.iter().all(|a| a.active_ms == 2_000), "{stored:?}");
        let slots = store
            .session_activity_slots(session_id)
            .await
            .expect("slots");
        let heartbeats: i64 = slots.iter().map(|(_, c)| c.heartbeats).sum();
        assert_eq!(slots.len(), 2);
        assert_eq!(heartbeats, 2 * apps as i64, "every heartbeat counted once");
    }
}
