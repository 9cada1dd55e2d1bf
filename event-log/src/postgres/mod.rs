//! `postgres://`: the log in Postgres tables, the single-machine default.
//!
//! Records live in `eventlog.records`, keyed by `(partition, offset)`. An append takes its
//! offset from the partition's row in `eventlog.partitions` in the same statement that inserts
//! the record, so the row stays locked until commit: appends to one partition serialize and
//! offset N+1 can never be seen before N (the first trap of the design). One statement may
//! append to several partitions (see [`appender`]). Each commit sends
//! `NOTIFY agenfleet_log '<partition>'` for each of its partitions to wake consumers.
//! Consumers are described in [`consumer`].

mod appender;
mod consumer;
mod json_text;
mod layout;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use schema::{CommandRecord, TenantId};
use tokio_postgres::NoTls;

use crate::url::LogUrl;
use crate::{
    ClaimedAppend, ConsumerOptions, EventLog, KeyClaim, LogConsumer, LogEntry, LogError, Position,
};

#[doc(hidden)] // for the plan's test
pub use consumer::{FETCH, FETCH_SETTINGS};

const DEFAULT_PARTITIONS: u32 = 8;
const DEFAULT_POOL_SIZE: u32 = 16;
/// Connection option: plan every execution of a prepared statement anew.
pub(crate) const CUSTOM_PLANS: &str = "-c plan_cache_mode=force_custom_plan";
/// Connection option of the appender's connections: plan the append once per connection. Its
/// only statement (`appender::APPEND_MANY`) reads nothing but its partitions' rows of
/// `eventlog.partitions`, a table of one row per partition that never grows, and inserts the
/// records: no plan of it can scan the growing log, and planning it cost as much as running it.
const GENERIC_PLANS: &str = "-c plan_cache_mode=force_generic_plan";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The NOTIFY channel appends signal on; the payload is the partition number.
pub(crate) const CHANNEL: &str = "agenfleet_log";

const READ: &str = r#"
SELECT "offset", record FROM eventlog.records
WHERE partition = $1 AND "offset" >= $2
ORDER BY "offset" LIMIT $3"#;

/// A log in Postgres: a connection pool for appends and reads, and a dedicated connection per
/// consumer.
#[derive(Clone)]
pub struct PostgresLog {
    pool: Pool,
    /// The appender's connections, one per statement it may have in flight.
    append_pool: Pool,
    /// Started on the first append (it needs a runtime), shared by clones.
    appender: std::sync::Arc<std::sync::OnceLock<appender::Appender>>,
    config: tokio_postgres::Config,
    partitions: u32,
    /// Appends commit without waiting for their own WAL flush (see `appender::APPEND_MANY`):
    /// only when the read models are in this same database.
    unflushed_appends: bool,
}

/// A pool of connections to `config` with the connection `options`, made when first needed.
fn pool_of(
    mut config: tokio_postgres::Config,
    options: &str,
    size: usize,
) -> Result<Pool, LogError> {
    config.options(options);
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .pre_recycle(deadpool_postgres::Hook::sync_fn(|client, _| {
            // A connection whose task has gone (it ran on a runtime that ended: an actix
            // worker's, when `agenfleet dev` stops) closed without a word from the server: drop
            // it quietly, where the pool's own check would log a warning for each.
            if client.is_closed() {
                tracing::debug!("dropping a pooled log connection that has closed");
                return Err(deadpool_postgres::HookError::Message("closed".into()));
            }
            Ok(())
        }))
        .build()
        .map_err(|e| LogError::Other(format!("cannot build the connection pool: {e}")))
}

/// Creates or checks the log's tables for the URL (`agenfleet migrate`). Idempotent; fails if
/// the tables already hold another partition count than the URL's `partitions`.
pub async fn migrate_postgres_log(url: &str) -> Result<(), LogError> {
    PostgresLog::connect(url)?.migrate().await
}

impl PostgresLog {
    /// A log on the database of a `postgres://` URL. Connects lazily; see [`Self::migrate`] and
    /// [`Self::verify_layout`].
    pub fn connect(url: &str) -> Result<Self, LogError> {
        Self::from_url(LogUrl::parse(url)?)
    }

    pub(crate) fn from_url(mut url: LogUrl) -> Result<Self, LogError> {
        let partitions = url.take_number("partitions", DEFAULT_PARTITIONS, 1)?;
        let pool_size = url.take_number("pool_size", DEFAULT_POOL_SIZE, 1)?;
        let mut config: tokio_postgres::Config = url
            .rebuilt()
            .parse()
            .map_err(|e| LogError::InvalidUrl(format!("not a Postgres URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("agenfleet-event-log");
        }
        let append_pool = pool_of(config.clone(), GENERIC_PLANS, appender::IN_FLIGHT)?;
        // The log starts empty and grows without bound: a generic plan cached while the tables
        // were small would keep scanning them. Plan each execution for the data it meets.
        config.options(CUSTOM_PLANS);
        let pool = pool_of(config.clone(), CUSTOM_PLANS, pool_size as usize)?;
        Ok(Self {
            pool,
            append_pool,
            appender: Default::default(),
            config,
            partitions,
            unflushed_appends: false,
        })
    }

    /// Creates the tables if missing and the partition rows for this log's partition count.
    /// Idempotent and safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<(), LogError> {
        layout::migrate(&self.pool, self.partitions).await
    }

    /// Fails unless the tables exist and hold this log's partition count.
    pub async fn verify_layout(&self) -> Result<(), LogError> {
        layout::verify(&self.pool, self.partitions).await
    }

    /// Starts the group-commit task on the current runtime if it is not running yet (else the
    /// first append starts it).
    pub fn start_appender(&self) {
        self.appender();
    }

    /// Lets appends commit without waiting for their own WAL flush when the read models at
    /// `read_models_url` are in this log's database (same hosts, ports and database name): the
    /// projector's commit, which every answer waits for, then flushes the WAL past them. Call
    /// before the first append.
    pub fn beside(&mut self, read_models_url: &str) {
        let Ok(read_models) = read_models_url.parse::<tokio_postgres::Config>() else {
            return;
        };
        let log = &self.config;
        self.unflushed_appends = log.get_hosts() == read_models.get_hosts()
            && log.get_ports() == read_models.get_ports()
            && log.get_dbname() == read_models.get_dbname();
    }

    fn appender(&self) -> &appender::Appender {
        self.appender.get_or_init(|| {
            appender::Appender::start(self.append_pool.clone(), self.unflushed_appends)
        })
    }

    /// Appends through the appender, claiming `claim`'s key first when there is one.
    async fn append_with(
        &self,
        tenant: TenantId,
        bytes: &[u8],
        claim: Option<KeyClaim>,
    ) -> Result<ClaimedAppend, LogError> {
        let partition = self.partition_for(tenant);
        let command_id = json_text::command_id(bytes).map_err(LogError::Other)?;
        let (done, landed) = tokio::sync::oneshot::channel();
        self.appender()
            .append(appender::Pending {
                partition,
                command_id,
                tenant_id: tenant.to_string(),
                record: bytes.to_vec(),
                claim,
                done,
            })
            .await?;
        landed
            .await
            .map_err(|_| LogError::Other("the appender task stopped before answering".to_owned()))?
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, LogError> {
        self.pool.get().await.map_err(pool_error)
    }
}

#[async_trait]
impl EventLog for PostgresLog {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    fn flushed_with_read_models(&self) -> bool {
        self.unflushed_appends
    }

    async fn append_encoded(&self, tenant: TenantId, bytes: &[u8]) -> Result<Position, LogError> {
        match self.append_with(tenant, bytes, None).await? {
            ClaimedAppend::Appended(position) => Ok(position),
            ClaimedAppend::KeyTaken => Err(LogError::Other(
                "an append that claimed no key was refused for its key".to_owned(),
            )),
        }
    }

    fn claims_keys(&self) -> bool {
        // The API's keys are in the read models' database; so is this log, beside them.
        self.unflushed_appends
    }

    async fn append_claiming(
        &self,
        record: &CommandRecord,
        claim: &KeyClaim,
    ) -> Result<ClaimedAppend, LogError> {
        if !self.claims_keys() {
            return Err(LogError::Other(
                "this Postgres log is not in the API's database: it cannot claim keys".to_owned(),
            ));
        }
        self.append_with(record.tenant_id, &record.encode(), Some(claim.clone()))
            .await
    }

    async fn read(
        &self,
        partition: u32,
        from_offset: i64,
        max: usize,
    ) -> Result<Vec<LogEntry>, LogError> {
        if partition >= self.partitions {
            return Err(LogError::Other(format!("no partition {partition}")));
        }
        let client = self.client().await?;
        let statement = client.prepare_cached(READ).await.map_err(db_error)?;
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        let rows = client
            .query(&statement, &[&(partition as i32), &from_offset, &limit])
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| Ok(entry(partition, row.get(0), record_of(row, 1)?)))
            .collect()
    }

    async fn consumer(&self, options: ConsumerOptions) -> Result<Box<dyn LogConsumer>, LogError> {
        Ok(Box::new(
            consumer::PostgresConsumer::join(self.clone(), options).await?,
        ))
    }

    async fn ping(&self) -> Result<(), LogError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(db_error)?;
        Ok(())
    }

    async fn end_offsets(&self) -> Result<Vec<i64>, LogError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT partition, next_offset FROM eventlog.partitions ORDER BY partition",
                &[],
            )
            .await
            .map_err(db_error)?;
        let mut ends = vec![0; self.partitions as usize];
        for row in rows {
            if let Some(end) = ends.get_mut(row.get::<_, i32>(0) as usize) {
                *end = row.get(1);
            }
        }
        Ok(ends)
    }
}

/// The record in column `index` of `row`, as its JSON text.
fn record_of(row: &tokio_postgres::Row, index: usize) -> Result<json_text::JsonText<'_>, LogError> {
    row.try_get(index)
        .map_err(|e| LogError::Other(format!("a stored record cannot be read: {e}")))
}

/// A stored record back as an entry, through the same decoding every backend uses.
fn entry(partition: u32, offset: i64, record: json_text::JsonText) -> LogEntry {
    LogEntry::decode(Position { partition, offset }, record.0)
}

/// The database out of reach (a lost connection, a server shutting down or full) is
/// `Unavailable`, which callers answer with 503 and retry; any other server error is a bug or a
/// missing migration.
pub(crate) fn db_error(error: tokio_postgres::Error) -> LogError {
    let text = format!("Postgres: {}", db_errors::describe(&error));
    if db_errors::is_unavailable(&error) {
        LogError::Unavailable(text)
    } else {
        LogError::Other(text)
    }
}

/// A pool that cannot hand out a connection (a timeout, or a new connection refused, whatever
/// the server's reason) is `Unavailable`: [`db_errors::describe_pool_error`].
pub(crate) fn pool_error(error: deadpool_postgres::PoolError) -> LogError {
    LogError::Unavailable(format!(
        "Postgres: {}",
        db_errors::describe_pool_error(&error)
    ))
}

/// A connection the server would not open is `Unavailable`, as for a pool ([`pool_error`]).
pub(crate) fn connect_error(error: tokio_postgres::Error) -> LogError {
    LogError::Unavailable(format!(
        "Postgres: cannot open a connection: {}",
        db_errors::describe(&error)
    ))
}

#[cfg(test)]
mod tests {
    use super::PostgresLog;

    fn unflushed(log_url: &str, read_models_url: &str) -> bool {
        let mut log = PostgresLog::connect(log_url).unwrap();
        log.beside(read_models_url);
        log.unflushed_appends
    }

    #[test]
    fn appends_skip_their_flush_only_beside_read_models_in_the_same_database() {
        let db = "postgres://app@db.internal:5432/agenfleet";
        assert!(unflushed(&format!("{db}?partitions=8"), db));
        assert!(unflushed(
            db,
            "postgres://other-user@db.internal:5432/agenfleet"
        ));
        for elsewhere in [
            "postgres://app@db.internal:5432/read_models",
            "postgres://app@db2.internal:5432/agenfleet",
            "postgres://app@db.internal:5433/agenfleet",
            "not a url",
        ] {
            assert!(!unflushed(db, elsewhere), "{elsewhere}");
        }
        assert!(!PostgresLog::connect(db).unwrap().unflushed_appends);
    }
}
