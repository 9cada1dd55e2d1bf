//! Sending several statements in one round trip: prepare each (cached after the first time),
//! then issue every execute before awaiting any. tokio-postgres sends requests in the order
//! their futures are first polled, and `try_join_all` polls in order, so the server runs them
//! in the order given.

use deadpool_postgres::Transaction;
use postgres_types::ToSql;

use crate::StoreError;

pub type Param = Box<dyn ToSql + Sync + Send>;

pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Param>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Param>) -> Self {
        Self { sql, params }
    }
}

pub async fn execute_all(tx: &Transaction<'_>, statements: &[Statement]) -> Result<(), StoreError> {
    let mut prepared = Vec::with_capacity(statements.len());
    for statement in statements {
        prepared.push(tx.prepare_cached(statement.sql).await?);
    }
    let executions = statements
        .iter()
        .zip(&prepared)
        .map(|(statement, prepared)| {
            let params: Vec<&(dyn ToSql + Sync)> = statement
                .params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            async move { tx.execute(prepared, &params).await }
        });
    futures::future::try_join_all(executions).await?;
    Ok(())
}
