//! The retention job (SPEC §18): once per cluster (the leading node), every
//! `--retention-every-ms`, deletes the screenshots and activity older than each organization's
//! policy keeps (`ops::own_data::apply_retention`, which audits what it deleted), and counts
//! it in `/metrics` (`presence_hub_retention_deleted_total{kind}`).

use std::time::Duration;

use crate::jobs::JobCtx;
use crate::ops::own_data::{apply_retention, RetentionReport};
use crate::store::now_ms;

/// Runs a pass every `every` (the first one a little after start-up, so that a starting hub
/// serves before it deletes) until shutdown. `clock_offset_ms` moves its clock (tests).
pub async fn run(jobs: JobCtx, every: Duration, clock_offset_ms: i64) {
    let first = tokio::time::Instant::now() + every.min(Duration::from_secs(5));
    let mut tick = tokio::time::interval_at(first, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = jobs.shutdown.cancelled() => break,
            _ = tick.tick() => {
                if jobs.leads() {
                    pass(&jobs, now_ms() + clock_offset_ms).await;
                }
            }
        }
    }
}

/// One pass at `now`, its figures added to the metrics; a failure is logged and the next pass
/// tries again (what was not deleted is still older than the limit).
pub async fn pass(jobs: &JobCtx, now: i64) -> Option<RetentionReport> {
    match apply_retention(&jobs.ops(), now).await {
        Ok(report) => {
            let metrics = jobs.store.metrics();
            metrics
                .retention_deleted("screenshots")
                .inc_by(report.screenshots);
            metrics
                .retention_deleted("activity_slots")
                .inc_by(report.activity_slots);
            metrics
                .retention_deleted("app_times")
                .inc_by(report.app_times);
            metrics.retention_last_run.set(now_ms() / 1000);
            if report != RetentionReport::default() {
                tracing::info!(?report, "retention deleted old data");
            }
            Some(report)
        }
        Err(e) => {
            tracing::warn!(error = %e, "retention pass failed");
            None
        }
    }
}
