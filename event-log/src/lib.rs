//! The event log: where every command record is appended and from where the projector reads
//! them back, in order, per partition.
//!
//! One trait ([`EventLog`]) with three backends chosen by URL (`kafka://`, `postgres://`,
//! `memory://`, see [`connect`]) and one contract test suite run against each. The partition of
//! a record is chosen by its tenant id, so all of a tenant's records are totally ordered.
//!
//! This crate knows records only as [`CommandRecord`]s; it must never depend on the decision
//! logic (`domain`) or on the read models. One table outside the log is written here: the
//! Postgres log beside the API's database inserts a request's `Idempotency-Key` row
//! (`apistate.idempotency_keys`) in the transaction of its append ([`EventLog::append_claiming`]),
//! so that a fresh key costs the request nothing of its own.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use schema::{CommandId, CommandRecord, TenantId};

pub use schema::record::DecodeError;

pub mod kafka;
mod membership;
pub mod memory;
pub mod postgres;
mod url;

pub use kafka::KafkaLog;
pub use memory::MemoryLog;
pub use postgres::{migrate_postgres_log, PostgresLog};

/// Opens the event log a URL names; the scheme picks the backend:
///
/// - `memory://[?partitions=4]`: in-process, for tests; every call makes a new, empty log;
/// - `postgres://…` or `postgresql://…` with an optional `partitions=8` (and `pool_size=16`)
///   query parameter, the other parameters going to tokio-postgres. The tables must exist
///   ([`migrate_postgres_log`]) and hold the same partition count, or this fails;
/// - `kafka://host:port[,host:port]?topic=agenfleet.commands&partitions=12`: creates the topic
///   if it is missing and refuses one with another partition count. Parameters with a dot
///   (`fetch.wait.max.ms=50`) go to librdkafka. Its consumers need [`connect_beside`].
pub async fn connect(url: &str) -> Result<Arc<dyn EventLog>, LogError> {
    open(url, None).await
}

/// Like [`connect`], for a process that works beside the read models at `read_models_url`:
/// - a Postgres log in that same database lets appends commit without waiting for their own WAL
///   flush (the API, the scheduler, the webhook dispatcher answer only once the projector has
///   applied them, and its commit flushes past them; see `postgres/appender.rs`);
/// - a Kafka log's consumers (the projectors) share its partitions in that database (see
///   `kafka/consumer.rs`).
pub async fn connect_beside(
    url: &str,
    read_models_url: &str,
) -> Result<Arc<dyn EventLog>, LogError> {
    open(url, Some(read_models_url)).await
}

async fn open(url: &str, read_models_url: Option<&str>) -> Result<Arc<dyn EventLog>, LogError> {
    let parsed = crate::url::LogUrl::parse(url)?;
    Ok(match parsed.scheme {
        crate::url::Scheme::Memory => Arc::new(MemoryLog::from_url(parsed)?),
        crate::url::Scheme::Postgres => {
            let mut log = PostgresLog::from_url(parsed)?;
            if let Some(read_models_url) = read_models_url {
                log.beside(read_models_url);
            }
            log.verify_layout().await?;
            // On the caller's runtime (the process's main one), not on whichever runtime
            // appends first (an HTTP worker's, which ends with that worker).
            log.start_appender();
            Arc::new(log)
        }
        crate::url::Scheme::Kafka => {
            let mut log = KafkaLog::from_url(parsed).await?;
            if let Some(read_models_url) = read_models_url {
                log.beside(read_models_url)?;
            }
            Arc::new(log)
        }
    })
}

/// Where an appended record landed. Offsets start at 0 and are gap-free per partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub partition: u32,
    pub offset: i64,
}

/// An `Idempotency-Key` to claim in the same transaction as an append (see
/// [`EventLog::append_claiming`]): the key's row in the API's `apistate.idempotency_keys`, with
/// the request's fingerprint, its first use (the ids the request derives take their time from
/// it) and how long its owner may hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    pub key: String,
    pub fingerprint: String,
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub locked_until: chrono::DateTime<chrono::Utc>,
}

/// What [`EventLog::append_claiming`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimedAppend {
    /// The key was new: it is claimed, and the record appended here, in one transaction.
    Appended(Position),
    /// The key was used before (or by a request appending beside this one): nothing was
    /// claimed or appended.
    KeyTaken,
}

/// A record read back from the log: a command, or bytes this build cannot read as one. Both
/// take their place in the partition's order, so the reader decides what an unreadable record
/// means (the projector records it as failed and moves on) instead of the log stopping there.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub position: Position,
    pub record: Result<CommandRecord, Unreadable>,
}

impl LogEntry {
    /// Decodes stored bytes into an entry at `position`.
    pub fn decode(position: Position, bytes: &[u8]) -> Self {
        Self {
            position,
            record: CommandRecord::decode(bytes).map_err(|error| Unreadable::new(bytes, &error)),
        }
    }

    /// The command, for callers that only ever see readable records (tests, tools).
    pub fn command(&self) -> Option<&CommandRecord> {
        self.record.as_ref().ok()
    }
}

/// A record that does not decode. What could be read of it (its command and tenant ids, when
/// the JSON has them) lets the projector answer the API call waiting for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub reason: String,
    /// Written by a newer build: not broken, only early. It must wait for an upgraded
    /// reader rather than be passed over.
    pub too_new: bool,
    pub command_id: Option<CommandId>,
    pub tenant_id: Option<TenantId>,
}

impl Unreadable {
    fn new(bytes: &[u8], error: &DecodeError) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|json| json.get(name)?.as_str().map(str::to_owned))
        };
        Self {
            reason: error.to_string(),
            too_new: matches!(error, DecodeError::TooNew { .. }),
            command_id: field("commandId").and_then(|id| id.parse().ok()),
            tenant_id: field("tenantId").and_then(|id| id.parse().ok()),
        }
    }
}

/// What a consumer sees when it polls.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumerEvent {
    /// This consumer now owns these partitions (in addition to those it had). The owner must
    /// look up its checkpoints and `seek` before it trusts the records that follow.
    Assigned(Vec<u32>),
    /// These partitions were taken away (another consumer joined, or the session ended).
    /// Records of them may still be in hand; the owner must stop writing for them.
    Revoked(Vec<u32>),
    /// The next records of owned partitions, in offset order within each partition.
    Records(Vec<LogEntry>),
    /// Nothing arrived within the poll's wait.
    Idle,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log cannot be reached now; the API answers 503 and workers retry.
    #[error("event log unavailable: {0}")]
    Unavailable(String),
    #[error("event log URL is invalid: {0}")]
    InvalidUrl(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("event log error: {0}")]
    Other(String),
}

/// How a consumer of the log identifies itself.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// The consumer group: every member shares the partitions with the others.
    pub group: String,
    /// Upper bound on records in one `Records` event.
    pub max_batch: usize,
    /// A name this member keeps across restarts, unique among the group's live members: its
    /// row in `eventlog.consumers`, which a restart under the same name takes over instead of
    /// adding one. `None`: a new member (and row) on every start.
    pub instance: Option<String>,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            group: "agenfleet-projector".to_owned(),
            max_batch: 500,
            instance: None,
        }
    }
}

#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// The fixed number of partitions.
    fn partitions(&self) -> u32;

    /// The partition a tenant's records go to.
    fn partition_for(&self, tenant: TenantId) -> u32 {
        partition_of(tenant, self.partitions())
    }

    /// Whether this log's appends are in the read models' own Postgres WAL (a Postgres log in the
    /// database given to [`connect_beside`]): then an append is made durable by the next
    /// synchronous commit there (the projector's, which every answer waits for), and state
    /// written before an append (an idempotency claim) may rely on the same flush.
    fn flushed_with_read_models(&self) -> bool {
        false
    }

    /// Appends a record and says where it landed: durably, or, when
    /// [`EventLog::flushed_with_read_models`], as durable as the read models' next commit.
    /// Once this returns, every consumer of the partition will see the record after all records
    /// before it.
    async fn append(&self, record: &CommandRecord) -> Result<Position, LogError> {
        self.append_encoded(record.tenant_id, &record.encode())
            .await
    }

    /// Whether this log can claim an `Idempotency-Key` in an append's own transaction
    /// ([`EventLog::append_claiming`]): a Postgres log in the database given to
    /// [`connect_beside`], which holds the API's keys.
    fn claims_keys(&self) -> bool {
        false
    }

    /// Inserts `claim`'s key for the record's tenant and, only if it was new, appends the
    /// record, in one transaction: a request whose key is fresh then costs no claim of its own.
    /// Only where [`EventLog::claims_keys`]; other logs refuse.
    async fn append_claiming(
        &self,
        record: &CommandRecord,
        claim: &KeyClaim,
    ) -> Result<ClaimedAppend, LogError> {
        let _ = (record, claim);
        Err(LogError::Other(
            "this event log cannot claim idempotency keys".to_owned(),
        ))
    }

    /// Appends a record already encoded — by `CommandRecord::encode`, or by an older version
    /// of it (tests of upcasting write old layouts this way) — to the tenant's partition.
    async fn append_encoded(&self, tenant: TenantId, bytes: &[u8]) -> Result<Position, LogError>;

    /// Reads up to `max` records of one partition starting at `from_offset`, without joining
    /// any group (used by replay and tests). Returns fewer, or none, at the end of the log.
    async fn read(
        &self,
        partition: u32,
        from_offset: i64,
        max: usize,
    ) -> Result<Vec<LogEntry>, LogError>;

    /// Joins the consumer group and returns a consumer that is handed its share of partitions
    /// (shared through advisory locks in Postgres on both logs, see `membership`).
    async fn consumer(&self, options: ConsumerOptions) -> Result<Box<dyn LogConsumer>, LogError>;

    /// Checks that the log is reachable (for `/readyz` and 503 decisions).
    async fn ping(&self) -> Result<(), LogError>;

    /// The offset the next record of each partition will get (its end), for progress reports.
    async fn end_offsets(&self) -> Result<Vec<i64>, LogError>;
}

#[async_trait]
pub trait LogConsumer: Send {
    /// Waits at most `max_wait` for the next thing to happen: an assignment change or records
    /// of owned partitions. Assignment changes are always reported before records of the
    /// partitions they concern. Cancel-safe: a poll dropped in a `select!` loses nothing.
    async fn poll(&mut self, max_wait: Duration) -> Result<ConsumerEvent, LogError>;

    /// Continues an owned partition at `next_offset` (the checkpoint + 1). Records already in
    /// hand for that partition are dropped.
    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError>;

    /// Leaves the group so the partitions move to other members at once.
    async fn close(self: Box<Self>);
}

/// The partition of a tenant: FNV-1a of the tenant id's text, modulo the partition count.
/// Stable across versions and backends (it decides where history lives).
pub fn partition_of(tenant: TenantId, partitions: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in tenant.to_string().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % partitions.max(1)
}

/// The backend an event-log URL names (`postgres`, `kafka`, `memory`), for labels and logs.
pub fn backend_name(url: &str) -> Result<&'static str, LogError> {
    Ok(match crate::url::LogUrl::parse(url)?.scheme {
        crate::url::Scheme::Memory => "memory",
        crate::url::Scheme::Postgres => "postgres",
        crate::url::Scheme::Kafka => "kafka",
    })
}
