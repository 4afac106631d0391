//! Where a statement runs. The store builds its statements as sqlx queries once; `Exec` runs
//! them on a sqlx connection (SQLite or PostgreSQL: each statement a message to the
//! connection's thread or socket) or on the direct SQLite connection of [`super::direct`]
//! (on the caller's thread). Code written against `Exec` — a transaction's steps — serves both.

use std::future::Future;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};

use super::StoreResult;

/// A statement with its arguments, as `sqlx::query(..).bind(..)` builds it.
pub(crate) type Statement<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// A connection (or a transaction on one) that runs the store's statements.
pub(crate) trait Exec: Send {
    /// The row the statement returns, if any.
    fn maybe_row<'q>(
        &mut self,
        statement: Statement<'q>,
    ) -> impl Future<Output = StoreResult<Option<AnyRow>>> + Send;

    /// Every row the statement returns.
    fn all_rows<'q>(
        &mut self,
        statement: Statement<'q>,
    ) -> impl Future<Output = StoreResult<Vec<AnyRow>>> + Send;

    /// Runs the statement; answers how many rows it changed.
    fn run<'q>(
        &mut self,
        statement: Statement<'q>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The one row the statement must return.
    fn one_row<'q>(
        &mut self,
        statement: Statement<'q>,
    ) -> impl Future<Output = StoreResult<AnyRow>> + Send {
        let row = self.maybe_row(statement);
        async move { row.await?.ok_or(sqlx::Error::RowNotFound.into()) }
    }
}

impl Exec for AnyConnection {
    async fn maybe_row<'q>(&mut self, statement: Statement<'q>) -> StoreResult<Option<AnyRow>> {
        Ok(statement.fetch_optional(self).await?)
    }

    async fn all_rows<'q>(&mut self, statement: Statement<'q>) -> StoreResult<Vec<AnyRow>> {
        Ok(statement.fetch_all(self).await?)
    }

    async fn run<'q>(&mut self, statement: Statement<'q>) -> StoreResult<u64> {
        Ok(statement.execute(self).await?.rows_affected())
    }
}

/// A transaction and a pooled connection run statements on the connection they hold.
macro_rules! exec_through_deref {
    ($($holder:ty),*) => {$(
        impl Exec for $holder {
            fn maybe_row<'q>(
                &mut self,
                statement: Statement<'q>,
            ) -> impl Future<Output = StoreResult<Option<AnyRow>>> + Send {
                (**self).maybe_row(statement)
            }

            fn all_rows<'q>(
                &mut self,
                statement: Statement<'q>,
            ) -> impl Future<Output = StoreResult<Vec<AnyRow>>> + Send {
                (**self).all_rows(statement)
            }

            fn run<'q>(
                &mut self,
                statement: Statement<'q>,
            ) -> impl Future<Output = StoreResult<u64>> + Send {
                (**self).run(statement)
            }
        }
    )*};
}

exec_through_deref!(Transaction<'_, Any>, PoolConnection<Any>);
