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

/// Sent before a run of inserts from arrays ([`super::flush::INSERTS_FROM_ARRAYS`]): planned
/// once per connection (generic plans). They read no table — their rows come from the batch's
/// arrays and their conflicts are found through the arbiter index — so no plan of theirs can
/// scan a growing table, and planning each cost about a third of running it.
const GENERIC_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";
/// Sent before a run of other statements: planned afresh, as the connection plans.
const CUSTOM_PLANS: &str = "SET LOCAL plan_cache_mode TO DEFAULT";

pub async fn execute_all(tx: &Transaction<'_>, statements: &[Statement]) -> Result<(), StoreError> {
    let mut prepared = Vec::with_capacity(statements.len());
    for statement in statements {
        prepared.push(tx.prepare_cached(statement.sql).await?);
    }
    type Sent<'a> = futures::future::BoxFuture<'a, Result<(), tokio_postgres::Error>>;
    let mut requests: Vec<Sent> = Vec::with_capacity(statements.len() + 2);
    let mut generic = false;
    for (statement, prepared) in statements.iter().zip(&prepared) {
        let wants_generic = super::flush::INSERTS_FROM_ARRAYS
            .iter()
            .any(|insert| **insert == *statement.sql);
        if wants_generic != generic {
            generic = wants_generic;
            let setting = if generic { GENERIC_PLANS } else { CUSTOM_PLANS };
            requests.push(Box::pin(tx.batch_execute(setting)));
        }
        let params: Vec<&(dyn ToSql + Sync)> = statement
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        requests.push(Box::pin(async move {
            tx.execute(prepared, &params).await.map(|_| ())
        }));
    }
    if generic {
        // What follows in the transaction (the checkpoint's advance) plans as the connection.
        requests.push(Box::pin(tx.batch_execute(CUSTOM_PLANS)));
    }
    futures::future::try_join_all(requests).await?;
    Ok(())
}
