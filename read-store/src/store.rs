//! The connection pool, pointed at one read-model schema.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// The schema the live read models are in.
pub const READ_MODEL_SCHEMA: &str = "readmodel";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timeout): answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("stored data is not what this build expects: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the failure is the database being unreachable, rather than a bad query.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Database(error) => {
                error.is_closed() || error.code().is_none() && error.as_db_error().is_none()
            }
            _ => false,
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => Self::Database(error),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// A pool of connections whose `search_path` is one read-model schema.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    schema: String,
}

impl Store {
    /// Connects lazily: a database that is down now makes calls fail with `Unavailable`, not
    /// this constructor.
    pub fn connect(url: &str, schema: &str, max_connections: usize) -> Result<Self, StoreError> {
        if !schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::InvalidUrl(format!(
                "schema name {schema:?} is not a plain identifier"
            )));
        }
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        // Tables grow from empty: a generic plan cached by a long-lived connection while they
        // were small would keep scanning them (seen: the projector slowing from 5,000 to 600
        // records/s until autoanalyze). Plan each execution for the data it meets. JIT
        // compilation, which large row estimates trigger, would add hundreds of milliseconds to
        // queries that run in a few.
        config.options(format!(
            "-c search_path={schema} -c plan_cache_mode=force_custom_plan -c jit=off"
        ));
        config.connect_timeout(std::time::Duration::from_secs(5));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .wait_timeout(Some(std::time::Duration::from_secs(5)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        Ok(Self {
            pool,
            schema: schema.to_owned(),
        })
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    pub async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }
}
