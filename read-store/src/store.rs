//! The connection pool, pointed at one read-model schema.

use std::str::FromStr;

use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::batch::Batcher;

/// The schema the live read models are in.
pub const READ_MODEL_SCHEMA: &str = "readmodel";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (a connection refused, a pool timeout): answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {}", db_errors::describe(.0))]
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
            Self::Database(error) => db_errors::is_unavailable(error),
            _ => false,
        }
    }

    /// Whether the same statement on the same data fails the same way every time: the data
    /// itself is the problem (a value out of range, bytes `text` cannot hold, a constraint the
    /// decision should have kept), not the server, the connection or a concurrent writer.
    /// Errors of the statements themselves (class 42: a missing migration, a bug) are not
    /// counted here: they would fail every record, and passing every record over would
    /// lose them all; they are retried until an operator fixes the cause.
    pub fn is_deterministic(&self) -> bool {
        self.sqlstate()
            .and_then(|code| code.get(..2))
            .is_some_and(|class| DETERMINISTIC_CLASSES.contains(&class))
    }

    /// The SQLSTATE of a server-side error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Self::Database(error) => error.code().map(|code| code.code()),
            _ => None,
        }
    }

    /// The error with its cause, for logs: the server's message and SQLSTATE rather than
    /// tokio-postgres's bare "db error".
    pub fn detail(&self) -> String {
        match self {
            Self::Database(error) => match error.as_db_error() {
                Some(db) => format!(
                    "{} (SQLSTATE {}{})",
                    db.message(),
                    db.code().code(),
                    db.detail().map(|d| format!("; {d}")).unwrap_or_default()
                ),
                None => match std::error::Error::source(error) {
                    Some(cause) => format!("{error}: {cause}"),
                    None => error.to_string(),
                },
            },
            other => other.to_string(),
        }
    }
}

/// SQLSTATE classes caused by the data: 21 cardinality violation, 22 data exception (out of
/// range, invalid text encoding, bad JSON), 23 integrity constraint violation, 54 program limit
/// exceeded (a row or an index entry too large).
const DETERMINISTIC_CLASSES: &[&str] = &["21", "22", "23", "54"];

/// A pool that cannot hand out a connection is unavailability, whatever the server said when
/// it refused a new one ([`db_errors::describe_pool_error`]).
impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(db_errors::describe_pool_error(&error))
    }
}

/// Two pools of connections whose `search_path` is one read-model schema: one that plans every
/// execution for the data it meets (every statement may use it), and one for
/// [lookups](Store::lookup_client).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    lookups: Pool,
    batchers: Batchers,
    schema: String,
}

/// The lookups gathered into shared queries on lookup connections ([`crate::batch`]), one
/// batcher per kind.
#[derive(Clone)]
pub(crate) struct Batchers {
    pub api_keys: Batcher<crate::api_keys::ByHash>,
    pub agents: Batcher<crate::agents::ByKey>,
    pub sessions: Batcher<crate::sessions::ByKey>,
    pub messages: Batcher<crate::sessions::MessageByKey>,
    pub outcomes: Batcher<crate::outcomes::ByCommand>,
    pub claims: Batcher<crate::idempotency::Claims<false>>,
    pub claims_unflushed: Batcher<crate::idempotency::Claims<true>>,
}

impl Batchers {
    fn new(lookups: &Pool) -> Self {
        Self {
            api_keys: Batcher::new(lookups.clone()),
            agents: Batcher::new(lookups.clone()),
            sessions: Batcher::new(lookups.clone()),
            messages: Batcher::new(lookups.clone()),
            outcomes: Batcher::new(lookups.clone()),
            claims: Batcher::new(lookups.clone()),
            claims_unflushed: Batcher::new(lookups.clone()),
        }
    }
}

/// How each connection of a pool plans its prepared statements.
#[derive(Clone, Copy)]
enum Plans {
    /// Planned afresh on every execution.
    Custom,
    /// Planned once per connection and statement, again as [`plans_again_after`] says.
    Generic,
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
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        // Lookups are short and one per request: half as many connections serve them.
        let lookups = pool(
            config.clone(),
            schema,
            Plans::Generic,
            max_connections.div_ceil(2),
        )?;
        Ok(Self {
            pool: pool(config, schema, Plans::Custom, max_connections)?,
            batchers: Batchers::new(&lookups),
            lookups,
            schema: schema.to_owned(),
        })
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    pub async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// A connection that plans each prepared statement once and reuses the plan (a generic
    /// plan) until [`plans_again_after`] says, with sequential scans off: for statements whose only
    /// sensible plan is an index lookup, i.e. equality on every column of a primary key or
    /// unique index. Planning such a statement costs more than running it (twice the lookups
    /// per second of a Postgres core with the plan kept). A generic plan is made without the
    /// arguments, from the table's size and statistics then: on a small or never-analysed table
    /// it may pick another index holding the key's columns among others (`agents_by_status`
    /// for an agent by `tenant_id = $1 AND id = $2`: a scan of the tenant's agents), which stays
    /// cheap only while the table is small; planning again as the connection is used picks
    /// the unique index once the table has grown, analysed or not. Anything else (ranges, joins, orderings,
    /// aggregates) takes [`Store::client`]; `lookup_plans` (api tests) checks every statement
    /// run here, small and grown.
    pub async fn lookup_client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.lookups.get().await?)
    }

    /// Lookups by key gathered into shared queries on lookup connections.
    pub(crate) fn batchers(&self) -> &Batchers {
        &self.batchers
    }

    /// Both pools' size, idle connections and waiters together, for `/metrics`.
    pub fn pool_status(&self) -> deadpool_postgres::Status {
        let (main, lookups) = (self.pool.status(), self.lookups.status());
        deadpool_postgres::Status {
            max_size: main.max_size + lookups.max_size,
            size: main.size + lookups.size,
            available: main.available + lookups.available,
            waiting: main.waiting + lookups.waiting,
        }
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }
}

/// Every statement run with a generic plan — on [`Store::lookup_client`] connections, and the
/// projector prefetch's lookups by key — with sample arguments (text literals) for
/// `EXPLAIN EXECUTE`: a test checks that each one's generic plan is an index
/// lookup on empty tables, and a lookup by a unique index once they have grown.
pub fn lookup_statements() -> Vec<(String, &'static [&'static str])> {
    let mut statements: Vec<(String, &'static [&'static str])> = vec![
        (
            crate::agents::GET_MANY.clone(),
            &["{ten_x,ten_y}", "{agent_x,agent_y}"],
        ),
        (
            crate::sessions::GET_MANY.clone(),
            &["{ten_x,ten_y}", "{ses_x,ses_y}"],
        ),
        (
            crate::sessions::MESSAGE_MANY.to_owned(),
            &["{ten_x,ten_y}", "{msg_x,msg_y}"],
        ),
        (crate::outcomes::GET_MANY.to_owned(), &["{cmd_x,cmd_y}"]),
        (crate::api_keys::GET_MANY.to_owned(), &["{hash_x,hash_y}"]),
        (
            crate::idempotency::CLAIM.to_owned(),
            &[
                "{ten_x,ten_y}",
                "{key,key}",
                "{fingerprint,fingerprint}",
                "{2026-01-01T00:00:00Z,2026-01-01T00:00:00Z}",
                "24",
            ],
        ),
        (crate::idempotency::STORED.to_owned(), &["ten_x", "key"]),
        (
            crate::idempotency::COMPLETE.to_owned(),
            &[
                "{ten_x,ten_y}",
                "{key,key}",
                "{2026-01-01T00:00:00Z,2026-01-01T00:00:00Z}",
                "{201,201}",
                "{[],[]}",
                "{body,body}",
            ],
        ),
        (
            crate::idempotency::KEEP_UNCLAIMED.to_owned(),
            &[
                "ten_x",
                "key",
                "fingerprint",
                "2026-01-01T00:00:00Z",
                "404",
                "[]",
                "body",
            ],
        ),
        (
            crate::idempotency::RELEASE.to_owned(),
            &["ten_x", "key", "2026-01-01T00:00:00Z"],
        ),
        (
            crate::idempotency::FORGET.to_owned(),
            &["ten_x", "key", "2026-01-01T00:00:00Z"],
        ),
    ];
    statements.extend(crate::projection::prefetch::unique_lookups());
    statements
}

/// The projector's inserts from a batch's arrays, run with generic plans (see
/// `projection::pipeline`): a test checks that none of their plans reads a table.
pub fn inserts_from_arrays() -> Vec<&'static str> {
    crate::projection::flush::INSERTS_FROM_ARRAYS.clone()
}

/// Every insert from arrays folded into one statement, as a batch that writes every table
/// would send them (`projection::fold`): a test checks its plan as each insert's.
pub fn inserts_from_arrays_folded() -> String {
    crate::projection::fold::fold_texts(&inserts_from_arrays()).0
}

/// Whether `statement` is inserts from arrays folded into one (run with a generic plan).
pub fn is_folded_inserts(statement: &str) -> bool {
    crate::projection::fold::is_folded(statement)
}

/// The checkpoint's statements (its locks, advance and announcement), run with generic plans:
/// a test checks that their plans read nothing but the checkpoints.
pub fn checkpoint_statements() -> Vec<&'static str> {
    crate::projection::CHECKPOINT_STATEMENTS.to_vec()
}

/// How often a lookup connection forgets its prepared statements, so that the next use plans
/// them again for the tables as they are now (see [`Store::lookup_client`]): one planning per
/// this many uses of a connection, once it has made as many (see [`plans_again_after`]).
pub const REPLAN_EVERY: usize = 1_024;

/// Whether a lookup connection forgets its prepared statements after its `uses`-th use: after
/// uses 1, 2, 4, 8, … up to [`REPLAN_EVERY`], then every [`REPLAN_EVERY`]. A young connection's
/// tables are likely young too, growing as it is used: a plan made after `n` uses lasts at most
/// `n` more, so it follows the tables' growth early, when a plan goes stale fastest, and costs
/// one planning per [`REPLAN_EVERY`] uses later.
pub fn plans_again_after(uses: usize) -> bool {
    if uses < REPLAN_EVERY {
        uses.is_power_of_two()
    } else {
        uses.is_multiple_of(REPLAN_EVERY)
    }
}

/// The settings of lookup connections (see [`Store::lookup_client`]).
pub const LOOKUP_SETTINGS: [(&str, &str); 2] = [
    ("plan_cache_mode", "force_generic_plan"),
    ("enable_seqscan", "off"),
];

fn pool(
    mut config: tokio_postgres::Config,
    schema: &str,
    plans: Plans,
    max_connections: usize,
) -> Result<Pool, StoreError> {
    // Tables grow from empty: a generic plan cached by a long-lived connection while they were
    // small would keep scanning them (seen: the projector slowing from 5,000 to 600 records/s
    // until autoanalyze). So plans are custom, but for lookups by a unique key. JIT
    // compilation, which large row estimates trigger, would add hundreds of milliseconds to
    // queries that run in a few.
    let settings: &[(&str, &str)] = match plans {
        Plans::Custom => &[("plan_cache_mode", "force_custom_plan")],
        Plans::Generic => &LOOKUP_SETTINGS,
    };
    let mut options = format!("-c search_path={schema} -c jit=off");
    for (name, value) in settings {
        options.push_str(&format!(" -c {name}={value}"));
    }
    config.options(options);
    config.connect_timeout(std::time::Duration::from_secs(5));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_connections.max(1))
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .pre_recycle(Hook::sync_fn(move |client, metrics| {
            // A connection whose task has gone (it ran on an actix worker's runtime, which
            // ends with the server) closed without a word from the server: drop it quietly,
            // where the pool's own check would log a warning for each.
            if client.is_closed() {
                tracing::debug!("dropping a pooled connection that has closed");
                return Err(HookError::Message("closed".into()));
            }
            // Called before each reuse: `recycle_count` uses have ended, and one more now.
            // Both pools: the projector's batches take custom-plan connections and run their
            // prefetch's lookups by key with generic plans (`projection::prefetch`).
            if plans_again_after(metrics.recycle_count + 1) {
                client.statement_cache.clear();
            }
            Ok(())
        }))
        .build()
        .map_err(|e| StoreError::InvalidUrl(e.to_string()))
}
