//! Working-time plans, holidays and absences (SPEC §19). Local dates are stored as
//! 'YYYY-MM-DD' text, which sorts and compares as the dates do.

use chrono::NaiveDate;
use hub_core::events::{Event, Published};

use super::{get, now_ms, unique, NewAudit, Store, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// Monday first.
    pub minutes: [u32; 7],
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HolidayRow {
    pub id: i64,
    pub day: NaiveDate,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceRow {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub user_name: String,
    /// `vacation`, `sick` or `other`.
    pub kind: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub half_day: bool,
    pub note: Option<String>,
    /// `requested`, `approved`, `refused` or `cancelled`.
    pub state: String,
    pub requested_by: i64,
    pub requested_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
}

/// A new absence, as requested (or recorded by an admin, `state` approved).
#[derive(Debug, Clone)]
pub struct NewAbsence<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub kind: &'a str,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub half_day: bool,
    pub note: Option<&'a str>,
    pub state: &'static str,
    pub requested_by: i64,
    /// The ISO weeks it touches: refused if one is approved for the user.
    pub weeks: Vec<String>,
}

/// A decision on an absence: from which state to which.
#[derive(Debug, Clone)]
pub struct AbsenceDecision<'a> {
    pub from_states: &'static [&'static str],
    pub to_state: &'static str,
    pub by: i64,
    pub note: Option<&'a str>,
    /// The ISO weeks the absence touches: a change there is refused if one is approved.
    pub weeks: Vec<String>,
}

/// Which absences a list holds; all optional. Days are inclusive.
#[derive(Debug, Clone, Default)]
pub struct AbsenceFilter {
    pub user_id: Option<i64>,
    pub state: Option<&'static str>,
    /// Absences that reach into `from..=to`.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

const DAY_FORMAT: &str = "%Y-%m-%d";

fn day_text(day: NaiveDate) -> String {
    day.format(DAY_FORMAT).to_string()
}

fn day_of(r: &sqlx::any::AnyRow, column: &str) -> StoreResult<NaiveDate> {
    let text: String = get(r, column)?;
    NaiveDate::parse_from_str(&text, DAY_FORMAT)
        .map_err(|e| StoreError::Corrupt(format!("{column} {text:?}: {e}")))
}

const PLAN_COLUMNS: &str = "id, user_id, valid_from, mon_minutes, tue_minutes, wed_minutes, thu_minutes, fri_minutes, sat_minutes, sun_minutes, created_at";

const ABSENCE_SELECT: &str = "SELECT a.id, a.org_id, a.user_id, u.name AS user_name, a.kind, a.first_day, a.last_day,
    a.half_day, a.note, a.state, a.requested_by, a.requested_at, a.decided_by, d.name AS decided_by_name,
    a.decided_at, a.decision_note
    FROM absences a JOIN users u ON u.id = a.user_id LEFT JOIN users d ON d.id = a.decided_by";

impl Store {
    /// The organization's default plans and, with `user_id`, that person's own; oldest first.
    pub async fn work_plans(&self, org_id: i64, user_id: Option<i64>) -> StoreResult<Vec<PlanRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM work_plans
             WHERE org_id = $1 AND (user_id IS NULL OR user_id = $2) ORDER BY valid_from, id"
        ))
        .bind(org_id)
        .bind(user_id.unwrap_or(-1))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(plan_row).collect()
    }

    /// Every plan of the organization (defaults and everyone's), for a team's figures.
    pub async fn all_work_plans(&self, org_id: i64) -> StoreResult<Vec<PlanRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM work_plans WHERE org_id = $1 ORDER BY valid_from, id"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(plan_row).collect()
    }

    /// Sets the plan of `user_id` (or the default) that starts on `valid_from`, replacing one
    /// that started that day. Audited with it.
    pub async fn set_work_plan(
        &self,
        org_id: i64,
        user_id: Option<i64>,
        valid_from: NaiveDate,
        minutes: [u32; 7],
        by: i64,
        audit: &NewAudit,
    ) -> StoreResult<PlanRow> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        sqlx::query(
            "DELETE FROM work_plans WHERE org_id = $1 AND valid_from = $2
             AND ((user_id IS NULL AND $3 < 0) OR user_id = $3)",
        )
        .bind(org_id)
        .bind(day_text(valid_from))
        .bind(user_id.unwrap_or(-1))
        .execute(&mut *tx)
        .await?;
        let insert_sql = format!(
            "INSERT INTO work_plans (org_id, user_id, valid_from, mon_minutes, tue_minutes, wed_minutes,
             thu_minutes, fri_minutes, sat_minutes, sun_minutes, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {PLAN_COLUMNS}"
        );
        let mut insert = sqlx::query(&insert_sql)
            .bind(org_id)
            .bind(user_id)
            .bind(day_text(valid_from));
        for m in minutes {
            insert = insert.bind(i64::from(m));
        }
        let row = insert
            .bind(by)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(unique("A plan starting that day"))?;
        let row = plan_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(row)
    }

    /// Removes a plan; `None` if there is no such plan in the organization.
    pub async fn delete_work_plan(
        &self,
        org_id: i64,
        id: i64,
        audit: impl FnOnce(&PlanRow) -> NewAudit,
    ) -> StoreResult<Option<PlanRow>> {
        let sql = format!(
            "DELETE FROM work_plans WHERE org_id = $1 AND id = $2 RETURNING {PLAN_COLUMNS}"
        );
        self.delete_audited(&sql, org_id, id, plan_row, audit).await
    }

    /// The organization's holidays in `from..=to` (both optional), in date order.
    pub async fn holidays(
        &self,
        org_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<HolidayRow>> {
        let rows = sqlx::query(
            "SELECT id, day, name FROM holidays WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(org_id)
        .bind(from.map_or_else(|| "0000-00-00".to_string(), day_text))
        .bind(to.map_or_else(|| "9999-99-99".to_string(), day_text))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(holiday_row).collect()
    }

    /// Adds holidays; a day that is one already keeps its name. Returns the added rows and
    /// how many were skipped. One audit entry for all.
    pub async fn add_holidays(
        &self,
        org_id: i64,
        days: &[(NaiveDate, String)],
        audit: impl FnOnce(usize) -> NewAudit,
    ) -> StoreResult<(Vec<HolidayRow>, usize)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let mut added = Vec::new();
        let now = now_ms();
        for (day, name) in days {
            let row = sqlx::query(
                "INSERT INTO holidays (org_id, day, name, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (org_id, day) DO NOTHING RETURNING id, day, name",
            )
            .bind(org_id)
            .bind(day_text(*day))
            .bind(name.as_str())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                added.push(holiday_row(&row)?);
            }
        }
        if !added.is_empty() {
            Store::insert_audit(&mut tx, &audit(added.len())).await?;
        }
        tx.commit().await?;
        self.observe_write(started);
        let skipped = days.len() - added.len();
        Ok((added, skipped))
    }

    /// Removes a holiday; `None` if there is no such holiday in the organization.
    pub async fn delete_holiday(
        &self,
        org_id: i64,
        id: i64,
        audit: impl FnOnce(&HolidayRow) -> NewAudit,
    ) -> StoreResult<Option<HolidayRow>> {
        let sql = "DELETE FROM holidays WHERE org_id = $1 AND id = $2 RETURNING id, day, name";
        self.delete_audited(sql, org_id, id, holiday_row, audit)
            .await
    }

    /// Deletes the organization's row `id` with `sql` (`DELETE … WHERE org_id = $1 AND id = $2
    /// RETURNING …`) and audits it in the same transaction; `None` if there is no such row.
    async fn delete_audited<R>(
        &self,
        sql: &str,
        org_id: i64,
        id: i64,
        read: fn(&sqlx::any::AnyRow) -> StoreResult<R>,
        audit: impl FnOnce(&R) -> NewAudit,
    ) -> StoreResult<Option<R>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let row = read(&row)?;
        Store::insert_audit(&mut tx, &audit(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(row))
    }

    pub async fn absences(
        &self,
        org_id: i64,
        filter: &AbsenceFilter,
    ) -> StoreResult<Vec<AbsenceRow>> {
        let mut sql = format!("{ABSENCE_SELECT} WHERE a.org_id = $1");
        let mut texts: Vec<String> = Vec::new();
        if let Some(from) = filter.from {
            texts.push(day_text(from));
            sql.push_str(&format!(" AND a.last_day >= ${}", texts.len() + 1));
        }
        if let Some(to) = filter.to {
            texts.push(day_text(to));
            sql.push_str(&format!(" AND a.first_day <= ${}", texts.len() + 1));
        }
        if let Some(state) = filter.state {
            texts.push(state.to_string());
            sql.push_str(&format!(" AND a.state = ${}", texts.len() + 1));
        }
        if filter.user_id.is_some() {
            sql.push_str(&format!(" AND a.user_id = ${}", texts.len() + 2));
        }
        sql.push_str(" ORDER BY a.first_day, a.id LIMIT 2000");
        let mut query = sqlx::query(&sql).bind(org_id);
        for text in &texts {
            query = query.bind(text.as_str());
        }
        if let Some(user_id) = filter.user_id {
            query = query.bind(user_id);
        }
        let rows = query.fetch_all(self.reader()).await?;
        rows.iter().map(absence_row).collect()
    }

    pub async fn get_absence(&self, org_id: i64, id: i64) -> StoreResult<Option<AbsenceRow>> {
        let row = sqlx::query(&format!(
            "{ABSENCE_SELECT} WHERE a.org_id = $1 AND a.id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(absence_row).transpose()
    }

    /// Records an absence: refused (409) when a day of it is an approved week of the user's,
    /// or when it overlaps another of their absences that is requested or approved.
    pub async fn insert_absence(
        &self,
        new: &NewAbsence<'_>,
        audit: impl FnOnce(&AbsenceRow) -> NewAudit,
        announce: impl FnOnce(&AbsenceRow) -> Event,
    ) -> StoreResult<(AbsenceRow, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        self.refuse_locked_weeks(&mut tx, new.org_id, new.user_id, &new.weeks)
            .await?;
        let overlapping = sqlx::query(
            "SELECT id FROM absences WHERE user_id = $1 AND state IN ('requested', 'approved')
             AND first_day <= $2 AND last_day >= $3 LIMIT 1",
        )
        .bind(new.user_id)
        .bind(day_text(new.last_day))
        .bind(day_text(new.first_day))
        .fetch_optional(&mut *tx)
        .await?;
        if overlapping.is_some() {
            return Err(StoreError::Conflict(
                "These days overlap another absence that is requested or approved.",
            ));
        }
        let now = now_ms();
        let decided = (new.state == "approved").then_some((new.requested_by, now));
        let id: i64 = sqlx::query(
            "INSERT INTO absences (org_id, user_id, kind, first_day, last_day, half_day, note, state,
             requested_by, requested_at, decided_by, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.org_id)
        .bind(new.user_id)
        .bind(new.kind)
        .bind(day_text(new.first_day))
        .bind(day_text(new.last_day))
        .bind(i64::from(new.half_day))
        .bind(new.note)
        .bind(new.state)
        .bind(new.requested_by)
        .bind(now)
        .bind(decided.map(|d| d.0))
        .bind(decided.map(|d| d.1))
        .fetch_one(&mut *tx)
        .await
        .map(|r| get(&r, "id"))??;
        let row = self.absence_in(&mut tx, new.org_id, id).await?;
        Store::insert_audit(&mut tx, &audit(&row)).await?;
        let published = self.announce(&mut tx, new.org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((row, published))
    }

    /// Moves an absence from one of `from_states` to `to_state`: `None` when it is not in one
    /// of them (any more). Refused (409) when one of its weeks is approved.
    pub async fn decide_absence(
        &self,
        org_id: i64,
        id: i64,
        user_id: i64,
        decision: &AbsenceDecision<'_>,
        audit: impl FnOnce(&AbsenceRow) -> NewAudit,
        announce: impl FnOnce(&AbsenceRow) -> Event,
    ) -> StoreResult<Option<(AbsenceRow, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        self.refuse_locked_weeks(&mut tx, org_id, user_id, &decision.weeks)
            .await?;
        let states = decision
            .from_states
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let done = sqlx::query(&format!(
            "UPDATE absences SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4
             WHERE org_id = $5 AND id = $6 AND state IN ({states})"
        ))
        .bind(decision.to_state)
        .bind(decision.by)
        .bind(now_ms())
        .bind(decision.note)
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = self.absence_in(&mut tx, org_id, id).await?;
        Store::insert_audit(&mut tx, &audit(&row)).await?;
        let published = self.announce(&mut tx, org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((row, published)))
    }

    async fn absence_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        id: i64,
    ) -> StoreResult<AbsenceRow> {
        let row = sqlx::query(&format!(
            "{ABSENCE_SELECT} WHERE a.org_id = $1 AND a.id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        absence_row(&row)
    }
}

fn plan_row(r: &sqlx::any::AnyRow) -> StoreResult<PlanRow> {
    let mut minutes = [0u32; 7];
    let columns = [
        "mon_minutes",
        "tue_minutes",
        "wed_minutes",
        "thu_minutes",
        "fri_minutes",
        "sat_minutes",
        "sun_minutes",
    ];
    for (slot, column) in minutes.iter_mut().zip(columns) {
        let value: i64 = get(r, column)?;
        *slot =
            u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} = {value}")))?;
    }
    Ok(PlanRow {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        valid_from: day_of(r, "valid_from")?,
        minutes,
        created_at: get(r, "created_at")?,
    })
}

fn holiday_row(r: &sqlx::any::AnyRow) -> StoreResult<HolidayRow> {
    Ok(HolidayRow {
        id: get(r, "id")?,
        day: day_of(r, "day")?,
        name: get(r, "name")?,
    })
}

fn absence_row(r: &sqlx::any::AnyRow) -> StoreResult<AbsenceRow> {
    let half_day: i64 = get(r, "half_day")?;
    Ok(AbsenceRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        user_id: get(r, "user_id")?,
        user_name: get(r, "user_name")?,
        kind: get(r, "kind")?,
        first_day: day_of(r, "first_day")?,
        last_day: day_of(r, "last_day")?,
        half_day: half_day != 0,
        note: get(r, "note")?,
        state: get(r, "state")?,
        requested_by: get(r, "requested_by")?,
        requested_at: get(r, "requested_at")?,
        decided_by: get(r, "decided_by")?,
        decided_by_name: get(r, "decided_by_name")?,
        decided_at: get(r, "decided_at")?,
        decision_note: get(r, "decision_note")?,
    })
}

impl PlanRow {
    pub fn info(&self) -> shared::worktime::WorkPlan {
        shared::worktime::WorkPlan {
            id: self.id,
            user_id: self.user_id,
            valid_from: self.valid_from,
            minutes: self.minutes.to_vec(),
            created_at: super::ms_to_time(self.created_at),
        }
    }
}

impl HolidayRow {
    pub fn info(&self) -> shared::worktime::Holiday {
        shared::worktime::Holiday {
            id: self.id,
            date: self.day,
            name: self.name.clone(),
        }
    }
}

impl AbsenceRow {
    pub fn info(&self) -> shared::worktime::Absence {
        use shared::worktime::{AbsenceKind, AbsenceState};
        shared::worktime::Absence {
            id: self.id,
            user_id: self.user_id,
            user_name: self.user_name.clone(),
            // The database's CHECKs allow only these words.
            kind: AbsenceKind::parse(&self.kind).unwrap_or(AbsenceKind::Other),
            first_day: self.first_day,
            last_day: self.last_day,
            half_day: self.half_day,
            note: self.note.clone(),
            state: AbsenceState::parse(&self.state).unwrap_or(AbsenceState::Requested),
            requested_by: self.requested_by,
            requested_at: super::ms_to_time(self.requested_at),
            decided_by: self.decided_by,
            decided_by_name: self.decided_by_name.clone(),
            decided_at: self.decided_at.map(super::ms_to_time),
            decision_note: self.decision_note.clone(),
        }
    }
}
