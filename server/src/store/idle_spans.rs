//! Idle spans: a user's return from idle inside a running session, and what was decided
//! about it. A discarded span is subtracted from its session (`discarded_seconds`, and
//! `duration_seconds` once the session has ended) in the same transaction.

use super::sessions::{Created, SessionRow};
use super::{get, now_ms, Store, StoreError, StoreResult};
use hub_core::events::{Event, Published};

#[derive(Debug, Clone, PartialEq)]
pub struct IdleSpanRow {
    pub id: i64,
    pub session_id: i64,
    pub user_id: i64,
    pub started_at: i64,
    pub ended_at: i64,
    /// `pending`, `kept` or `discarded`.
    pub decision: String,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// A user's answer to a pending span.
pub struct SpanDecision {
    pub org_id: i64,
    pub session_id: i64,
    pub span_id: i64,
    pub keep: bool,
    pub by: i64,
    /// The weeks the session lies in: the answer changes their time.
    pub weeks: Vec<String>,
}

pub struct NewIdleSpan<'a> {
    pub org_id: i64,
    pub session_id: i64,
    pub user_id: i64,
    pub started_at: i64,
    pub ended_at: i64,
    pub decision: &'static str,
    pub client_id: Option<&'a str>,
    /// The weeks of the span: refused if one is approved.
    pub weeks: Vec<String>,
}

const COLUMNS: &str =
    "id, session_id, user_id, started_at, ended_at, decision, decided_at, created_at";

/// Discarded seconds of a session from its spans not counted (discarded idle time, removed
/// screenshot slots), each cut to the session's times, a moment covered twice taken once.
pub fn discarded_seconds(spans: &[(i64, i64)], started_at: i64, ended_at: Option<i64>) -> i64 {
    let end = ended_at.unwrap_or(i64::MAX);
    hub_core::domain::tally::union_of_spans(spans.to_vec())
        .iter()
        .map(|&(s, e)| ((e.min(end) - s.max(started_at)).max(0)) / 1000)
        .sum()
}

impl Store {
    /// Records a span; a known client id answers with the first record. A discarded span
    /// updates its session and announces it (`announce` gets the updated session).
    pub async fn insert_idle_span(
        &self,
        new: &NewIdleSpan<'_>,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<(Created<IdleSpanRow>, Option<Published>)> {
        if let Some(client_id) = new.client_id {
            let known = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM idle_spans WHERE session_id = $1 AND client_id = $2"
            ))
            .bind(new.session_id)
            .bind(client_id)
            .fetch_optional(self.reader())
            .await?;
            if let Some(row) = known {
                return Ok((Created::Existing(span_row(&row)?), None));
            }
        }
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        self.refuse_locked_weeks(&mut tx, new.org_id, new.user_id, &new.weeks)
            .await?;
        let now = now_ms();
        let inserted = sqlx::query(&format!(
            "INSERT INTO idle_spans (org_id, session_id, user_id, started_at, ended_at, decision, decided_at, client_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        ))
        .bind(new.org_id)
        .bind(new.session_id)
        .bind(new.user_id)
        .bind(new.started_at)
        .bind(new.ended_at)
        .bind(new.decision)
        .bind((new.decision != "pending").then_some(now))
        .bind(new.client_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let span = span_row(&inserted)?;
        let published = if new.decision == "discarded" {
            let session = self
                .recount_discarded(&mut tx, new.org_id, new.session_id)
                .await?;
            Some(
                self.announce(&mut tx, new.org_id, announce(&session))
                    .await?,
            )
        } else {
            None
        };
        tx.commit().await?;
        self.observe_write(started);
        Ok((Created::New(span), published))
    }

    /// The user's answer to a pending span. `None` if the span is unknown; a span that was
    /// already decided (answered, or kept after 10 minutes) is refused.
    pub async fn decide_idle_span(
        &self,
        answer: &SpanDecision,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<Option<(IdleSpanRow, Published)>> {
        let SpanDecision {
            org_id,
            session_id,
            span_id,
            keep,
            by,
            ref weeks,
        } = *answer;
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let current = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM idle_spans WHERE id = $1 AND session_id = $2 AND org_id = $3"
        ))
        .bind(span_id)
        .bind(session_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let current = span_row(&current)?;
        if current.decision != "pending" {
            return Err(StoreError::Refused(format!(
                "This idle time was already {}: it can no longer be changed here.",
                current.decision
            )));
        }
        self.refuse_locked_weeks(&mut tx, org_id, current.user_id, weeks)
            .await?;
        let decision = if keep { "kept" } else { "discarded" };
        let row = sqlx::query(&format!(
            "UPDATE idle_spans SET decision = $1, decided_by = $2, decided_at = $3
             WHERE id = $4 AND decision = 'pending' RETURNING {COLUMNS}"
        ))
        .bind(decision)
        .bind(by)
        .bind(now_ms())
        .bind(span_id)
        .fetch_one(&mut *tx)
        .await?;
        let span = span_row(&row)?;
        let session = self.recount_discarded(&mut tx, org_id, session_id).await?;
        let published = self.announce(&mut tx, org_id, announce(&session)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((span, published)))
    }

    /// Pending spans older than `older_than_ms` become kept (the question's default);
    /// returns how many.
    pub async fn keep_unanswered_idle_spans(&self, older_than_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE idle_spans SET decision = 'kept', decided_at = $1 WHERE decision = 'pending' AND created_at <= $2",
        )
        .bind(now_ms())
        .bind(older_than_ms)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }

    /// A session's spans, oldest first.
    pub async fn idle_spans_of(
        &self,
        org_id: i64,
        session_id: i64,
    ) -> StoreResult<Vec<IdleSpanRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM idle_spans WHERE session_id = $1 AND org_id = $2 ORDER BY started_at, id"
        ))
        .bind(session_id)
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(span_row).collect()
    }

    /// Sets a session's discarded seconds (and duration, if ended) from its discarded idle
    /// spans and the slots of the screenshots its owner deleted.
    pub(super) async fn recount_discarded(
        &self,
        conn: &mut impl super::exec::Exec,
        org_id: i64,
        session_id: i64,
    ) -> StoreResult<SessionRow> {
        let session = conn
            .one_row(
                sqlx::query(
                    "SELECT started_at, ended_at FROM work_sessions WHERE id = $1 AND org_id = $2",
                )
                .bind(session_id)
                .bind(org_id),
            )
            .await?;
        let (started_at, ended_at): (i64, Option<i64>) =
            (get(&session, "started_at")?, get(&session, "ended_at")?);
        let spans = super::own_data::uncounted_spans_in(conn, org_id, session_id).await?;
        let discarded = discarded_seconds(&spans, started_at, ended_at);
        conn.run(
            sqlx::query(
                "UPDATE work_sessions SET discarded_seconds = $1,
                 duration_seconds = CASE WHEN ended_at IS NULL THEN NULL ELSE (ended_at - started_at) / 1000 - $1 END
                 WHERE id = $2",
            )
            .bind(discarded)
            .bind(session_id),
        )
        .await?;
        self.session_in(conn, org_id, session_id).await
    }
}

fn span_row(r: &sqlx::any::AnyRow) -> StoreResult<IdleSpanRow> {
    Ok(IdleSpanRow {
        id: get(r, "id")?,
        session_id: get(r, "session_id")?,
        user_id: get(r, "user_id")?,
        started_at: get(r, "started_at")?,
        ended_at: get(r, "ended_at")?,
        decision: get(r, "decision")?,
        decided_at: get(r, "decided_at")?,
        created_at: get(r, "created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discarded_spans_are_cut_to_the_session() {
        assert_eq!(discarded_seconds(&[(10_000, 70_000)], 0, Some(100_000)), 60);
        assert_eq!(
            discarded_seconds(&[(10_000, 70_000)], 40_000, Some(50_000)),
            10
        );
        assert_eq!(discarded_seconds(&[(10_000, 70_000)], 80_000, None), 0);
        assert_eq!(
            discarded_seconds(&[(0, 60_000), (30_000, 90_000)], 0, None),
            90,
            "a removed slot over discarded idle time is not taken twice"
        );
        assert_eq!(
            discarded_seconds(&[(0, 1_500), (2_000, 3_500)], 0, None),
            2,
            "each span in whole seconds"
        );
    }
}
