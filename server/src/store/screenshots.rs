//! Screenshot metadata (the image files are kept by the caller under the data folder).

use super::{
    get, is_constraint_conflict, limit_offset, ms_to_time, now_ms, Store, StoreError, StoreResult,
};
use shared::api::Screenshot;

pub struct NewScreenshot<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub session_id: Option<i64>,
    pub captured_at: i64,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub path: &'a str,
    pub client_id: Option<&'a str>,
}

const SELECT: &str = "SELECT s.id, s.user_id, u.name AS user_name, s.session_id, s.captured_at, s.width, s.height, s.bytes, s.path
    FROM screenshots s JOIN users u ON u.id = s.user_id";

impl Store {
    /// Inserts a screenshot; a known client id returns the first one (`false` = not new).
    pub async fn insert_screenshot(
        &self,
        new: NewScreenshot<'_>,
    ) -> StoreResult<(Screenshot, bool)> {
        let started = std::time::Instant::now();
        let inserted = sqlx::query(
            "INSERT INTO screenshots (org_id, user_id, session_id, captured_at, width, height, bytes, path, client_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.org_id)
        .bind(new.user_id)
        .bind(new.session_id)
        .bind(new.captured_at)
        .bind(new.width)
        .bind(new.height)
        .bind(new.bytes)
        .bind(new.path)
        .bind(new.client_id)
        .bind(now_ms())
        .fetch_one(self.writer())
        .await;
        self.observe_write(started);
        let (id, fresh) = match inserted {
            Ok(row) => (get::<i64>(&row, "id")?, true),
            Err(e) if is_constraint_conflict(&e) && new.client_id.is_some() => {
                let row =
                    sqlx::query("SELECT id FROM screenshots WHERE user_id = $1 AND client_id = $2")
                        .bind(new.user_id)
                        .bind(new.client_id)
                        .fetch_one(self.writer())
                        .await?;
                (get::<i64>(&row, "id")?, false)
            }
            Err(e) => return Err(e.into()),
        };
        let shot = self
            .get_screenshot(new.org_id, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("screenshot {id} vanished")))?;
        Ok((shot.0, fresh))
    }

    /// The screenshot and the path of its file.
    pub async fn get_screenshot(
        &self,
        org_id: i64,
        id: i64,
    ) -> StoreResult<Option<(Screenshot, String)>> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.writer())
            .await?;
        row.map(|r| Ok((screenshot(&r)?, get(&r, "path")?)))
            .transpose()
    }

    /// Newest first; optionally one user's or one session's.
    pub async fn list_screenshots(
        &self,
        org_id: i64,
        user_id: Option<i64>,
        session_id: Option<i64>,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<Screenshot>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let filter =
            "s.org_id = $1 AND ($2 = 0 OR s.user_id = $2) AND ($3 = 0 OR s.session_id = $3)";
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE {filter} ORDER BY s.captured_at DESC, s.id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(org_id)
        .bind(user_id.unwrap_or(0))
        .bind(session_id.unwrap_or(0))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM screenshots s WHERE {filter}"
        ))
        .bind(org_id)
        .bind(user_id.unwrap_or(0))
        .bind(session_id.unwrap_or(0))
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(screenshot).collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }
}

fn screenshot(r: &sqlx::any::AnyRow) -> StoreResult<Screenshot> {
    let id: i64 = get(r, "id")?;
    Ok(Screenshot {
        id,
        user_id: get(r, "user_id")?,
        user_name: get(r, "user_name")?,
        session_id: get(r, "session_id")?,
        captured_at: ms_to_time(get(r, "captured_at")?),
        width: get(r, "width")?,
        height: get(r, "height")?,
        bytes: get(r, "bytes")?,
        url: format!("/api/screenshots/{id}/image"),
    })
}
