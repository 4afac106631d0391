//! The hot statements of a SQLite file, run on the caller's thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands it every statement as a
//! message: a hop there and a hop back per statement. On a loaded 2-core machine a hop waits
//! for a core, and an admin's force-end took seven (token, session, BEGIN, UPDATE, audit,
//! webhooks, COMMIT): 1.6 ms at 15,000 sockets where Bun, holding the same state in memory,
//! answers in 0.5 ms (`bench --peer`, issue 28). Here the same statements run on one rusqlite
//! connection to the same file, on the calling tokio worker, a whole transaction in one go: a
//! point read or a short write takes tens of microseconds of the worker, less than the hops.
//!
//! Only what sits on a request's path and is small goes here (an API request's token, the
//! session a stop names, the end itself; sockets' handshakes read their token from the reader
//! pool, see `Store::token_owner`). Writes hold the sqlx writer's single connection while
//! they run, so SQLite's one writer is still taken in turn and no busy wait ever blocks a
//! worker; reads need nothing (WAL: a reader never waits for the writer).

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sqlx::Execute;
use sqlx_core::any::{AnyColumn, AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;

use super::exec::{Exec, Statement};
use super::{StoreError, StoreResult};

/// Statements kept prepared: the hot set is about a dozen.
const PREPARED_STATEMENTS: usize = 32;

/// One rusqlite connection to the hub's SQLite file; `None` once the store is closed.
pub(crate) struct DirectSqlite {
    connection: Mutex<Option<Connection>>,
}

impl DirectSqlite {
    /// Opens `path` (which the sqlx pools created and migrated) with their settings.
    pub(crate) fn open(path: &Path) -> StoreResult<Arc<DirectSqlite>> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        // As the sqlx connections (store/mod.rs): see there for why each.
        connection.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA wal_autocheckpoint = 0;",
        )?;
        Ok(Arc::new(DirectSqlite {
            connection: Mutex::new(Some(connection)),
        }))
    }

    /// Closes the connection; later calls answer that the store is closed.
    pub(crate) fn close(&self) {
        self.lock().take();
    }

    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        // A panic while the lock was held left no transaction open (see `transaction`).
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` outside a transaction (reads: each statement sees the last commit).
    pub(crate) fn read<T>(
        &self,
        work: impl AsyncFnOnce(&mut DirectTx<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut guard = self.lock();
        let connection = guard.as_mut().ok_or(sqlx::Error::PoolClosed)?;
        run_now(work(&mut DirectTx { connection }))
    }

    /// Runs `work` in one transaction, committed when it answers `Ok`, rolled back otherwise.
    /// The caller holds the sqlx writer's connection (SQLite's one writer goes in turn).
    pub(crate) fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(&mut DirectTx<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut guard = self.lock();
        let connection = guard.as_mut().ok_or(sqlx::Error::PoolClosed)?;
        connection.execute_batch("BEGIN IMMEDIATE")?;
        let done = run_now(work(&mut DirectTx {
            connection: &mut *connection,
        }));
        let ended = match &done {
            Ok(_) => connection.execute_batch("COMMIT"),
            Err(_) => connection.execute_batch("ROLLBACK"),
        };
        if let Err(e) = ended {
            // A failed COMMIT leaves the transaction open: nothing of it may stay.
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        done
    }
}

/// Every statement on the direct connection completes at once, so the work's future is ready
/// on its first poll; one that waits for something else is a defect, not a slow database.
fn run_now<T>(work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    work.now_or_never().unwrap_or_else(|| {
        Err(StoreError::Corrupt(
            "a direct SQLite transaction waited on something".into(),
        ))
    })
}

/// The direct connection while a read or a transaction runs on it.
pub(crate) struct DirectTx<'c> {
    connection: &'c mut Connection,
}

impl DirectTx<'_> {
    /// Runs `statement`, handing each row to `each`.
    fn each_row(
        &mut self,
        mut statement: Statement<'_>,
        mut each: impl FnMut(AnyRow),
    ) -> StoreResult<()> {
        let sql = statement.sql();
        let arguments = statement
            .take_arguments()
            .map_err(sqlx::Error::Encode)?
            .map(|a| a.values.0)
            .unwrap_or_default();
        let mut prepared = self.connection.prepare_cached(sql)?;
        bind(&mut prepared, &arguments)?;
        let names: Vec<UStr> = (0..prepared.column_count())
            .map(|i| prepared.column_name(i).map(UStr::new))
            .collect::<Result<_, _>>()?;
        let by_name: Arc<sqlx_core::HashMap<UStr, usize>> = Arc::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect(),
        );
        let mut rows = prepared.raw_query();
        while let Some(row) = rows.next()? {
            let mut columns = Vec::with_capacity(names.len());
            let mut values = Vec::with_capacity(names.len());
            for (ordinal, name) in names.iter().enumerate() {
                let kind = any_value(row.get_ref(ordinal)?, name)?;
                columns.push(AnyColumn {
                    ordinal,
                    name: name.clone(),
                    type_info: AnyTypeInfo {
                        kind: kind_of(&kind),
                    },
                });
                values.push(AnyValue { kind });
            }
            each(AnyRow {
                column_names: by_name.clone(),
                columns,
                values,
            });
        }
        Ok(())
    }
}

impl Exec for DirectTx<'_> {
    async fn maybe_row<'q>(&mut self, statement: Statement<'q>) -> StoreResult<Option<AnyRow>> {
        let mut first = None;
        self.each_row(statement, |row| {
            first.get_or_insert(row);
        })?;
        Ok(first)
    }

    async fn all_rows<'q>(&mut self, statement: Statement<'q>) -> StoreResult<Vec<AnyRow>> {
        let mut all = Vec::new();
        self.each_row(statement, |row| all.push(row))?;
        Ok(all)
    }

    async fn run<'q>(&mut self, statement: Statement<'q>) -> StoreResult<u64> {
        self.each_row(statement, |_| {})?;
        Ok(self.connection.changes())
    }
}

/// Binds arguments as sqlx's SQLite driver does: `$N` and `?N` name the Nth argument, a bare
/// `?` takes the next one, and a parameter past the last argument stays NULL.
fn bind(prepared: &mut rusqlite::Statement<'_>, arguments: &[AnyValueKind<'_>]) -> StoreResult<()> {
    let mut next = 0;
    for parameter in 1..=prepared.parameter_count() {
        let n = match prepared.parameter_name(parameter) {
            Some(name) => name
                .strip_prefix('$')
                .or_else(|| name.strip_prefix('?'))
                .and_then(|number| number.parse::<usize>().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("unsupported SQL parameter {name}")))?,
            None => {
                next += 1;
                next
            }
        };
        let Some(value) = n.checked_sub(1).and_then(|i| arguments.get(i)) else {
            break;
        };
        let value = match value {
            AnyValueKind::Null(_) => ValueRef::Null,
            AnyValueKind::Bool(b) => ValueRef::Integer(i64::from(*b)),
            AnyValueKind::SmallInt(i) => ValueRef::Integer(i64::from(*i)),
            AnyValueKind::Integer(i) => ValueRef::Integer(i64::from(*i)),
            AnyValueKind::BigInt(i) => ValueRef::Integer(*i),
            AnyValueKind::Real(r) => ValueRef::Real(f64::from(*r)),
            AnyValueKind::Double(d) => ValueRef::Real(*d),
            AnyValueKind::Text(t) => ValueRef::Text(t.as_bytes()),
            AnyValueKind::Blob(b) => ValueRef::Blob(b),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "an argument of an unknown kind: {other:?}"
                )))
            }
        };
        prepared.raw_bind_parameter(parameter, ToSqlOutput::Borrowed(value))?;
    }
    Ok(())
}

/// A column's value as sqlx's SQLite driver gives it to `Any`: by the value's own type.
fn any_value(value: ValueRef<'_>, column: &str) -> StoreResult<AnyValueKind<'static>> {
    Ok(match value {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(r) => AnyValueKind::Double(r),
        ValueRef::Text(t) => AnyValueKind::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| StoreError::Corrupt(format!("{column} is not UTF-8 text")))?
                .into(),
        ),
        ValueRef::Blob(b) => AnyValueKind::Blob(b.to_vec().into()),
    })
}

fn kind_of(value: &AnyValueKind<'_>) -> AnyTypeInfoKind {
    match value {
        AnyValueKind::BigInt(_) => AnyTypeInfoKind::BigInt,
        AnyValueKind::Double(_) => AnyTypeInfoKind::Double,
        AnyValueKind::Text(_) => AnyTypeInfoKind::Text,
        AnyValueKind::Blob(_) => AnyTypeInfoKind::Blob,
        _ => AnyTypeInfoKind::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::get;
    use sqlx::Row;

    fn open_with_table() -> (tempfile::TempDir, Arc<DirectSqlite>) {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("direct.db");
        Connection::open(&path)
            .and_then(|c| {
                c.execute_batch(
                    "PRAGMA journal_mode = WAL;
                     CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                        score REAL, photo BLOB, team INTEGER);",
                )
            })
            .expect("the table");
        let direct = DirectSqlite::open(&path).expect("opened");
        (folder, direct)
    }

    async fn names(tx: &mut DirectTx<'_>) -> StoreResult<Vec<String>> {
        tx.all_rows(sqlx::query("SELECT name FROM people ORDER BY id"))
            .await?
            .iter()
            .map(|r| get(r, "name"))
            .collect()
    }

    fn insert(name: &str) -> Statement<'_> {
        sqlx::query("INSERT INTO people (name) VALUES ($1)").bind(name)
    }

    #[test]
    fn arguments_are_bound_by_their_number_as_sqlx_binds_them() {
        let (_folder, direct) = open_with_table();
        let row = direct
            .read(async |c| {
                c.one_row(
                    sqlx::query("SELECT $2 AS second, $1 AS first, ?3 AS third, $1 + 1 AS again, $4 AS missing, $5 AS unbound")
                        .bind(41_i64)
                        .bind("two")
                        .bind(3.5_f64)
                        .bind(None::<i64>),
                )
                .await
            })
            .expect("a row");
        assert_eq!(get::<String>(&row, "second").expect("text"), "two");
        assert_eq!(get::<i64>(&row, "first").expect("integer"), 41);
        assert_eq!(get::<f64>(&row, "third").expect("real"), 3.5);
        assert_eq!(get::<i64>(&row, "again").expect("reused"), 42);
        assert_eq!(get::<Option<i64>>(&row, "missing").expect("null"), None);
        // Past the last argument: NULL, as with sqlx's driver.
        assert_eq!(
            get::<Option<String>>(&row, "unbound").expect("unbound"),
            None
        );
        assert!(
            row.try_get::<String, _>("first").is_err(),
            "an integer is not text"
        );
    }

    #[test]
    fn values_come_back_as_sqlx_gives_them() {
        let (_folder, direct) = open_with_table();
        let changed = direct
            .transaction(async |tx| {
                tx.run(
                    sqlx::query("INSERT INTO people (name, score, photo) VALUES ($1, $2, $3)")
                        .bind("Ada")
                        .bind(0.25_f64)
                        .bind(vec![0_u8, 159, 146, 150]),
                )
                .await
            })
            .expect("inserted");
        assert_eq!(changed, 1);
        let row = direct
            .read(async |c| c.one_row(sqlx::query("SELECT * FROM people")).await)
            .expect("the row");
        assert_eq!(get::<i64>(&row, "id").expect("id"), 1);
        assert_eq!(get::<f64>(&row, "score").expect("score"), 0.25);
        assert_eq!(
            get::<Vec<u8>>(&row, "photo").expect("bytes, not text"),
            vec![0, 159, 146, 150]
        );
        assert_eq!(get::<Option<i64>>(&row, "team").expect("team"), None);
        let none = direct
            .read(async |c| {
                c.maybe_row(sqlx::query("SELECT * FROM people WHERE id = 2"))
                    .await
            })
            .expect("no row");
        assert!(none.is_none());
        let missing = direct.read(async |c| {
            c.one_row(sqlx::query("SELECT * FROM people WHERE id = 2"))
                .await
        });
        assert!(
            matches!(missing, Err(StoreError::Database(sqlx::Error::RowNotFound))),
            "{:?}",
            missing.err()
        );
    }

    #[test]
    fn a_failed_transaction_leaves_nothing_behind() {
        let (_folder, direct) = open_with_table();
        direct
            .transaction(async |tx| tx.run(insert("Ada")).await)
            .expect("committed");
        let failed = direct.transaction(async |tx| {
            tx.run(insert("Bob")).await?;
            // The second Ada breaks the unique name: Bob must go with it.
            tx.run(insert("Ada")).await
        });
        assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
        let refused = direct.transaction(async |tx| {
            tx.run(insert("Cy")).await?;
            Err::<(), _>(StoreError::Conflict("refused by a rule"))
        });
        assert!(matches!(refused, Err(StoreError::Conflict(_))));
        let left = direct.read(async |c| names(c).await).expect("names");
        assert_eq!(left, vec!["Ada".to_string()]);
    }

    #[test]
    fn work_that_waits_on_something_else_is_refused_and_undone() {
        let (_folder, direct) = open_with_table();
        let waited = direct.transaction(async |tx| {
            tx.run(insert("Ada")).await?;
            tokio::task::yield_now().await;
            Ok(())
        });
        assert!(matches!(waited, Err(StoreError::Corrupt(_))), "{waited:?}");
        let left = direct.read(async |c| names(c).await).expect("names");
        assert!(left.is_empty(), "{left:?}");
        // The connection is usable again: no transaction was left open.
        direct
            .transaction(async |tx| tx.run(insert("Bob")).await)
            .expect("a later transaction");
    }

    #[test]
    fn a_closed_connection_answers_that_it_is_closed() {
        let (_folder, direct) = open_with_table();
        direct.close();
        let read = direct.read(async |c| names(c).await);
        assert!(
            matches!(read, Err(StoreError::Database(sqlx::Error::PoolClosed))),
            "{read:?}"
        );
    }

    /// A write through sqlx is seen by the direct connection at once, and the other way round.
    #[tokio::test]
    async fn both_connections_see_each_others_commits() {
        let folder = tempfile::tempdir().expect("a folder");
        let url = format!("sqlite://{}", folder.path().join("hub.db").display());
        let store = crate::store::Store::connect(&url, crate::metrics::Metrics::new())
            .await
            .expect("a file store");
        let direct = store
            .direct()
            .expect("a file store has a direct connection");
        sqlx::query(
            "INSERT INTO organizations (name, timezone, created_at) VALUES ('Via sqlx', 'UTC', 0)",
        )
        .execute(store.writer())
        .await
        .expect("written by sqlx");
        let seen = store
            .fetch_on_path(
                sqlx::query("SELECT name FROM organizations WHERE name = $1").bind("Via sqlx"),
            )
            .await
            .expect("read");
        assert!(seen.is_some(), "the direct connection sees sqlx's commit");
        direct
            .transaction(async |tx| {
                tx.run(sqlx::query(
                    "UPDATE organizations SET name = 'Via direct' WHERE name = 'Via sqlx'",
                ))
                .await
            })
            .expect("written directly");
        let row = sqlx::query("SELECT COUNT(*) AS n FROM organizations WHERE name = 'Via direct'")
            .fetch_one(store.reader())
            .await
            .expect("read by sqlx");
        assert_eq!(get::<i64>(&row, "n").expect("n"), 1);
        store.close().await;
    }
}
