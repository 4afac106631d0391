//! Storage: the only code that talks SQL. One implementation over sqlx's `Any` driver serves
//! SQLite and PostgreSQL; instants are stored as milliseconds since the epoch.

mod activity;
mod audit;
mod cluster;
mod device_flow;
mod devices;
mod direct;
mod exec;
mod game_servers;
mod idle_spans;
mod links;
mod orgs;
mod outbox;
mod own_data;
mod policy;
mod presence;
mod screenshots;
mod server_sessions;
mod sessions;
mod sso;
mod staff_time;
mod statuses;
mod tickets;
mod timesheets;
mod tokens;
mod two_factor;
mod users;
mod webhooks;
mod worktime;

pub use activity::AppRow;
pub use audit::{Changes, NewAudit};
pub use cluster::NodeRow;
pub use devices::CONNECTED_LEASE_MS;
pub use game_servers::{GameServerPatch, GameServerRow};
pub use idle_spans::{discarded_seconds, IdleSpanRow, NewIdleSpan, SpanDecision};
pub use outbox::{StoredEvent, EVENTS_CHANNEL};
pub use server_sessions::{GameName, PollRecord, ServerSessionFilter, ServerSessionRow};
pub use sessions::{
    Created, NewSession, SessionCorrection, SessionDeletion, SessionEnd, SessionFilter, SessionRow,
};
pub use staff_time::{ServerSums, StaffExtras, TimeScope, TimeSums};
pub use timesheets::{WeekStateRow, WorkedRow};

pub use device_flow::{DeviceGrantRow, NewDeviceGrant};
pub use links::{LinkPurpose, PasswordLink};
pub use orgs::OrgRow;
pub use own_data::{ErasedUser, ExportKind, ScreenshotRemoval, EXPORT_KINDS};
pub use policy::{PolicyRow, PolicySave};
pub use presence::PRESENCE_BATCH_ROWS;
pub use screenshots::NewScreenshot;
pub use sso::{FlowTake, NewSsoFlow, SecretChange, SsoConfigRow, SsoConfigSave, SsoFlowRow};
pub use tokens::{TokenOwner, TokenRow};
pub use two_factor::{MfaChallengeRow, MfaFinish, MfaProof, TotpRow};
pub use users::{NewInvite, NewUser, UserAuditActor, UserPatch, UserRow};
pub use webhooks::{delivery_body, Attempt, DueDelivery, WebhookPatch, WebhookRow};
pub use worktime::{AbsenceDecision, AbsenceFilter, AbsenceRow, HolidayRow, NewAbsence, PlanRow};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::metrics::Metrics;
use direct::DirectSqlite;
use exec::{Exec, Statement};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    UniqueViolation(&'static str),
    /// A rule the database enforces was hit (active session, overlap); the text is for users.
    #[error("{0}")]
    Conflict(&'static str),
    /// Like `Conflict`, with a text made for the case (a locked week names itself).
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the direct SQLite connection (store/direct.rs).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("cannot prepare the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// The database could not be reached (down, restarting, connections exhausted): the
    /// request may be tried again; nothing was committed by it.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Database(e) => {
                matches!(
                    e,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Tls(_)
                        | sqlx::Error::Protocol(_)
                ) || matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| {
                    // admin_shutdown, crash_shutdown, cannot_connect_now (PostgreSQL restarting)
                    c == "57P01" || c == "57P02" || c == "57P03"
                }))
            }
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection pools. SQLite gets a single writer connection so writes queue in the pool
/// instead of failing with SQLITE_BUSY; PostgreSQL uses one pool for both.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    /// A SQLite file's connection for the statements on a request's path (store/direct.rs);
    /// `None` on PostgreSQL and for `sqlite::memory:`, whose statements all go through sqlx.
    direct: Option<Arc<DirectSqlite>>,
    backend: Backend,
    metrics: Metrics,
}

impl Store {
    pub async fn connect(url: &str, metrics: Metrics) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let store = match backend {
            Backend::Sqlite if is_sqlite_memory(url) => {
                // `sqlite::memory:` (the operations' unit tests): every connection would open
                // a database of its own, so reads and writes share one connection.
                let pool = sqlite_pool("sqlite::memory:", 1, SqliteRole::Writer).await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    direct: None,
                    backend,
                    metrics,
                }
            }
            Backend::Sqlite => {
                let (path, url) = prepare_sqlite_url(url)?;
                let write = sqlite_pool(&url, 1, SqliteRole::Writer).await?;
                // The writer creates the file and switches it to WAL before readers open it.
                write.execute("PRAGMA journal_mode = WAL").await?;
                let read = sqlite_pool(&url, 8, SqliteRole::Reader).await?;
                let store = Store {
                    read,
                    write,
                    direct: None,
                    backend,
                    metrics,
                };
                // Opened on the migrated file: its statements name the tables.
                store.migrate().await?;
                return Ok(Store {
                    direct: Some(DirectSqlite::open(Path::new(&path))?),
                    ..store
                });
            }
            Backend::Postgres => {
                // A short acquire timeout: during a database outage a write answers 503 in
                // a few seconds instead of hanging.
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(3))
                    .connect(url)
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    direct: None,
                    backend,
                    metrics,
                }
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => {
                // A migration that rebuilds a table (SQLite cannot alter a CHECK constraint)
                // needs foreign keys off, which SQLite ignores inside the transaction sqlx
                // wraps each migration in: they are switched off on the connection first,
                // and every key is checked before they come back on.
                let mut conn = self.write.acquire().await?;
                conn.execute("PRAGMA foreign_keys = OFF").await?;
                let applied = sqlx::migrate!("../migrations/sqlite").run(&mut *conn).await;
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(&mut *conn)
                    .await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                applied?;
                if !broken.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "{} rows break a foreign key after the migrations",
                        broken.len()
                    )));
                }
            }
            Backend::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Copies the SQLite write-ahead log into the database file (PASSIVE: it never blocks the
    /// writer or readers), on a reader connection so commits never pay for it. Run by the hub
    /// every `CHECKPOINT_EVERY` (app.rs); nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.read)
                .await?;
        }
        Ok(())
    }

    /// Cheap round trip used by `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.read.close().await;
        self.write.close().await;
    }

    fn direct(&self) -> Option<&DirectSqlite> {
        self.direct.as_deref()
    }

    /// A point read on a request's path: on a SQLite file's direct connection, on this thread
    /// (store/direct.rs); elsewhere from the reader pool.
    pub(crate) async fn fetch_on_path(
        &self,
        statement: Statement<'_>,
    ) -> StoreResult<Option<AnyRow>> {
        match self.direct() {
            Some(direct) => direct.read(async |c| c.maybe_row(statement).await),
            None => Ok(statement.fetch_optional(self.reader()).await?),
        }
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// The metrics this store reports to (and jobs using it add to).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Records how long a write took, for `/metrics`.
    pub(crate) fn observe_write(&self, started: Instant) {
        self.metrics
            .db_write_seconds
            .observe(started.elapsed().as_secs_f64());
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SqliteRole {
    Writer,
    Reader,
}

async fn sqlite_pool(url: &str, max: u32, role: SqliteRole) -> StoreResult<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings a connection before handing it out, a round trip to the connection's
        // own thread: for a file on this machine it finds nothing, and on a busy machine each
        // such hop waits for a core (a force-end took three of them, one per acquire).
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                // Deleted content is overwritten, not left in free space: an erased person's
                // data must not stay readable in the file (SPEC §18).
                conn.execute("PRAGMA secure_delete = ON").await?;
                if role == SqliteRole::Writer {
                    // No checkpoint inside a commit: the write that crosses the WAL's threshold
                    // would copy pages and fsync the database file while an admin's force-end
                    // waits behind it. `Store::checkpoint` does it on a reader instead.
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

fn is_sqlite_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next() == Some(":memory:")
}

/// Creates the folder of a SQLite file and asks sqlx to create the file if missing; answers
/// the file's path and the URL for sqlx.
fn prepare_sqlite_url(url: &str) -> StoreResult<(String, String)> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((path.to_string(), format!("sqlite://{path}?{query}")))
}

/// Maps a unique-constraint failure to a conflict naming `what`; passes other errors on.
pub(crate) fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::UniqueViolation(what),
        _ => StoreError::Database(e),
    }
}

/// True for a unique-index or exclusion-constraint failure: the database refused a duplicate
/// or an overlap.
pub(crate) fn is_constraint_conflict(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || db.code().as_deref() == Some("23P01")
        }
        _ => false,
    }
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(column).map_err(StoreError::from)
}

pub use hub_core::records::{AppWrite, DeviceWrite, PresenceWrite, Reported, SlotWrite};
pub use hub_core::time::{ms_to_time, now_ms};

/// `page` (1-based) and `per_page` (1..=500) as LIMIT/OFFSET.
pub fn limit_offset(page: u32, per_page: u32) -> (i64, i64) {
    let per_page = per_page.clamp(1, 500) as i64;
    let page = page.max(1) as i64;
    (per_page, (page - 1) * per_page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commits_leave_the_database_file_alone_until_the_checkpoint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url, Metrics::new()).await.expect("store");
        let size = || std::fs::metadata(&path).expect("database file").len();
        let before = size();
        // About 6 MiB: well past SQLite's default automatic checkpoint (1,000 pages, 4 MiB).
        let filler = "x".repeat(4000);
        for i in 0..1500 {
            store
                .create_org(&format!("Org {i} {filler}"), "UTC")
                .await
                .expect("insert");
        }
        assert_eq!(size(), before, "commits only append to the write-ahead log");
        store.checkpoint().await.expect("checkpoint");
        assert!(
            size() > before + 4 * 1024 * 1024,
            "the checkpoint copied the pages: {} → {} bytes",
            before,
            size()
        );
    }
}
