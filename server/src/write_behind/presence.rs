//! Coalesced write-through of presence: the latest state per user is kept in memory and
//! written in one transaction per flush interval, so a busy user costs a bounded number of
//! writes a minute however often they report activity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::store::{PresenceWrite, Store, PRESENCE_BATCH_ROWS};

pub struct PresenceWriter {
    pending: Mutex<HashMap<i64, PresenceWrite>>,
    metrics: Metrics,
}

impl PresenceWriter {
    pub fn new(metrics: Metrics) -> Self {
        PresenceWriter {
            pending: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// Records the latest presence of a user; replaces what was pending for them.
    pub fn note(&self, write: PresenceWrite) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(write.user_id, write);
        }
    }

    fn take(&self) -> Vec<PresenceWrite> {
        match self.pending.lock() {
            Ok(mut pending) => pending.drain().map(|(_, w)| w).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Puts a failed batch back, unless a newer state arrived meanwhile.
    fn restore(&self, batch: Vec<PresenceWrite>) {
        if let Ok(mut pending) = self.pending.lock() {
            for w in batch {
                pending.entry(w.user_id).or_insert(w);
            }
        }
    }

    /// Writes everything pending, [`PRESENCE_BATCH_ROWS`] rows per transaction so that other
    /// writes (a force-end) get the database between batches. A failed batch and the ones
    /// after it stay pending for the next flush.
    ///
    /// In user order: a batch then updates neighbouring rows of `presence` and `users`, a few
    /// pages each, where a batch in hash order touched a page per row all over both tables —
    /// every one copied into the write-ahead log, and the single SQLite writer held meanwhile.
    pub async fn flush(&self, store: &Store, epoch: i64) -> bool {
        let mut batch = self.take();
        batch.sort_unstable_by_key(|w| w.user_id);
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(PRESENCE_BATCH_ROWS));
            let n = batch.len();
            match store.write_presence(epoch, &batch).await {
                Ok(()) => {
                    self.metrics.presence_rows_written.inc_by(n as u64);
                    tracing::trace!(rows = n, "presence flushed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, rows = n, "presence flush failed; will retry");
                    batch.extend(rest);
                    self.restore(batch);
                    return false;
                }
            }
            batch = rest;
        }
        true
    }

    /// Flushes every `interval` until cancelled, then once more.
    pub async fn run(
        &self,
        store: Store,
        epoch: i64,
        interval: Duration,
        cancel: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => { self.flush(&store, epoch).await; }
            }
        }
    }

    pub fn pending_len(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}
