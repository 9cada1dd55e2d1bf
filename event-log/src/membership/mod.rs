//! How the members of a consumer group share the partitions, on both logs: through
//! session-level advisory locks in a Postgres database, `pg_try_advisory_lock(<group key>,
//! <partition>)`, held on each member's own connection ([`session`]). Two processes can never
//! own one partition at once, and a process that dies loses its locks with its connection —
//! at once, not after a session timeout.
//!
//! Fair share: members register in `eventlog.consumers` (with a heartbeat every second, so rows
//! of members long gone can be deleted) and each holds a presence lock, `(<members key>,
//! hashtext(<member id>))`, on its connection. About once a second each member counts the live
//! ones — those whose presence lock is held — and aims at `ceil(partitions / live)`
//! partitions, releasing extras (`Revoked`) and trying free ones (`Assigned`). A member is live
//! exactly as long as its connection: a new one gets its share within a couple of seconds, and
//! the partitions of one that is closed or killed move at the others' next look, within about a
//! second of its connection closing — no timeout to wait out.
//!
//! The Postgres log keeps its members in its own database; the Kafka log in the read models'
//! (see `kafka::consumer`).

mod session;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_postgres::Client;

pub use self::session::Notified;
use self::session::Session;
use crate::postgres::{connect_error, db_error};
use crate::{ConsumerEvent, ConsumerOptions, LogError};

/// How often a member looks at the group and adjusts what it owns.
pub(crate) const REBALANCE_EVERY: Duration = Duration::from_secs(1);

/// The members' table, for a database that does not hold a Postgres log (the read models' of a
/// Kafka log). The same table as the Postgres log's migration creates.
const MEMBERS_DDL: &str = r#"
SET LOCAL client_min_messages TO warning;
CREATE SCHEMA IF NOT EXISTS eventlog;
CREATE TABLE IF NOT EXISTS eventlog.consumers (
    "group"   text        NOT NULL,
    member_id text        NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("group", member_id)
);"#;

/// Serializes concurrent creations of the table (`CREATE … IF NOT EXISTS` alone can race); the
/// Postgres log's migration takes the same lock. The text "evlogmig" as a number, to stay clear
/// of other advisory locks.
pub(crate) const MIGRATION_LOCK: i64 = 0x6576_6c6f_676d_6967;

/// The members whose presence lock is held in this database ($3: the members key), this one
/// included.
const LIVE_MEMBERS: &str = r#"
SELECT count(*) FROM eventlog.consumers c
WHERE c."group" = $1 AND (c.member_id = $2 OR EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = $3
      AND l.objid::bigint = (hashtext(c.member_id)::bigint & 4294967295)))"#;

const TAKE_PRESENCE: &str = "SELECT pg_try_advisory_lock($1, hashtext($2))";

/// The partitions this session holds locks on (two-key advisory locks show the keys as
/// `classid` and `objid`, with `objsubid = 2`).
const HELD: &str = r#"
SELECT objid::bigint FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
  AND objsubid = 2 AND classid::bigint = $1"#;

const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1, $2)";

const UNLOCK: &str = "SELECT pg_advisory_unlock($1, p) FROM unnest($2::int[]) AS p";

const LEAVE: &str = r#"DELETE FROM eventlog.consumers WHERE "group" = $1 AND member_id = $2"#;

/// One member of a group: what it owns and the connection that holds it.
pub(crate) struct Membership {
    config: tokio_postgres::Config,
    group: String,
    member: String,
    partitions: u32,
    /// The NOTIFY channel the session listens on, if any.
    channel: Option<&'static str>,
    /// First half of the advisory-lock key, from the group, so groups do not exclude each
    /// other.
    lock_space: i32,
    /// First half of the presence locks' key, from the group.
    members_space: i32,
    /// This member's presence lock is held (else it is taken at the next look: a previous life
    /// under the same name may still hold it).
    present: bool,
    /// Where this member starts looking for free partitions, so members do not all race for
    /// the same one.
    first_choice: u32,
    session: Option<Session>,
    owned: BTreeSet<u32>,
    /// What changed in `owned` and was not taken yet ([`Self::changes`]). Kept here, not
    /// returned, so that a rebalance cancelled halfway loses none.
    changes: VecDeque<ConsumerEvent>,
    next_rebalance: Instant,
}

impl Membership {
    /// A member of `options.group` over `partitions` partitions, keeping its membership in the
    /// database of `config`; connected at once. `channel`: a NOTIFY channel to be woken by.
    pub async fn join(
        config: tokio_postgres::Config,
        options: &ConsumerOptions,
        partitions: u32,
        channel: Option<&'static str>,
    ) -> Result<Self, LogError> {
        let member = options
            .instance
            .clone()
            .unwrap_or_else(|| ulid::Ulid::new().to_string().to_ascii_lowercase());
        // Non-negative, so that they read the same as pg_locks' unsigned `classid`.
        let space = |prefix: &str| {
            let hash = fnv1a(&format!("{prefix}/{}", options.group));
            i32::try_from(hash & 0x7fff_ffff).unwrap_or_default()
        };
        let mut membership = Self {
            first_choice: fnv1a(&member) % partitions.max(1),
            config,
            group: options.group.clone(),
            member,
            partitions,
            channel,
            lock_space: space("agenfleet-log"),
            members_space: space("agenfleet-log-members"),
            present: false,
            session: None,
            owned: BTreeSet::new(),
            changes: VecDeque::new(),
            next_rebalance: Instant::now(),
        };
        membership.connect().await?;
        Ok(membership)
    }

    /// Creates the members' table in the database of `config` if it is missing (a database
    /// without a Postgres log). Idempotent and safe to run from several processes at once.
    pub async fn create_table(config: &tokio_postgres::Config) -> Result<(), LogError> {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(connect_error)?;
        let driver = tokio::spawn(connection);
        let created = client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); {MEMBERS_DDL} COMMIT;"
            ))
            .await
            .map_err(db_error);
        drop(client);
        let _ = driver.await;
        created
    }

    /// Connects again if the connection is gone; true if it did (statements prepared on the
    /// previous connection are gone with it).
    pub async fn connect(&mut self) -> Result<bool, LogError> {
        if self.session.is_some() {
            return Ok(false);
        }
        let session = Session::open(&self.config, &self.group, &self.member, self.channel).await?;
        self.session = Some(session);
        self.present = false;
        self.next_rebalance = Instant::now();
        Ok(true)
    }

    /// The member's connection, while it lives.
    pub fn client(&self) -> Option<&Arc<Client>> {
        self.session.as_ref().map(|session| &session.client)
    }

    /// Woken by every notification on the channel, and when the connection ends.
    pub fn wake(&self) -> Option<Arc<Notify>> {
        self.session.as_ref().map(|session| session.wake.clone())
    }

    /// What the notifications on the channel told since the last call (taken).
    pub fn notified(&self) -> Option<Notified> {
        self.session
            .as_ref()
            .map(|session| Notified::take(&session.notified))
    }

    /// When the next [`Self::rebalance`] is due.
    pub fn next_rebalance(&self) -> Instant {
        self.next_rebalance
    }

    pub fn is_closed(&self) -> bool {
        self.session.as_ref().is_some_and(Session::is_closed)
    }

    /// The changes of what this member owns since the last call, in order: `Assigned` and
    /// `Revoked` (everything, once the connection is found dead: the locks went with it).
    pub fn changes(&mut self) -> Vec<ConsumerEvent> {
        if self.is_closed() {
            self.session = None;
            let lost: Vec<u32> = std::mem::take(&mut self.owned).into_iter().collect();
            if !lost.is_empty() {
                self.changes.push_back(ConsumerEvent::Revoked(lost));
            }
        }
        self.changes.drain(..).collect()
    }

    /// Whether [`Self::changes`] has something to say.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || self.is_closed()
    }

    /// Moves towards the fair share if a look is due; what changed is in [`Self::changes`].
    ///
    /// A poll may be cancelled between two statements; the locks this session really holds
    /// (`pg_locks`) are therefore read first and what this member believes is corrected, so a
    /// lock taken or released by a cancelled round is never forgotten.
    pub async fn rebalance(&mut self) -> Result<(), tokio_postgres::Error> {
        if Instant::now() < self.next_rebalance {
            return Ok(());
        }
        self.next_rebalance = Instant::now() + REBALANCE_EVERY;
        let Some(client) = self.client().cloned() else {
            return Ok(());
        };
        let held: BTreeSet<u32> = client
            .query(HELD, &[&i64::from(self.lock_space)])
            .await?
            .iter()
            .filter_map(|row| u32::try_from(row.get::<_, i64>(0)).ok())
            .collect();
        self.adopt(&held);
        if !self.present {
            self.present = client
                .query_one(TAKE_PRESENCE, &[&self.members_space, &self.member])
                .await?
                .get(0);
        }
        let members: i64 = client
            .query_one(
                LIVE_MEMBERS,
                &[&self.group, &self.member, &i64::from(self.members_space)],
            )
            .await?
            .get(0);
        let partitions = self.partitions;
        let target =
            partitions.div_ceil(u32::try_from(members.max(1)).unwrap_or(u32::MAX)) as usize;
        if self.owned.len() > target {
            let extras: Vec<u32> = self
                .owned
                .iter()
                .rev()
                .take(self.owned.len() - target)
                .copied()
                .collect();
            let keys: Vec<i32> = extras.iter().map(|p| *p as i32).collect();
            client.execute(UNLOCK, &[&self.lock_space, &keys]).await?;
            for partition in &extras {
                self.owned.remove(partition);
            }
            let mut revoked = extras;
            revoked.sort_unstable();
            self.changes.push_back(ConsumerEvent::Revoked(revoked));
        } else if self.owned.len() < target {
            let mut assigned = Vec::new();
            for step in 0..partitions {
                if self.owned.len() + assigned.len() >= target {
                    break;
                }
                let partition = (self.first_choice + step) % partitions;
                if self.owned.contains(&partition) {
                    continue;
                }
                let row = client
                    .query_one(TRY_LOCK, &[&self.lock_space, &(partition as i32)])
                    .await?;
                if row.get::<_, bool>(0) {
                    assigned.push(partition);
                }
            }
            if !assigned.is_empty() {
                assigned.sort_unstable();
                self.owned.extend(&assigned);
                self.changes.push_back(ConsumerEvent::Assigned(assigned));
            }
        }
        Ok(())
    }

    /// Makes `owned` what the session holds, noting the difference.
    fn adopt(&mut self, held: &BTreeSet<u32>) {
        let lost: Vec<u32> = self.owned.difference(held).copied().collect();
        let found: Vec<u32> = held.difference(&self.owned).copied().collect();
        if !lost.is_empty() {
            for partition in &lost {
                self.owned.remove(partition);
            }
            self.changes.push_back(ConsumerEvent::Revoked(lost));
        }
        if !found.is_empty() {
            self.owned.extend(&found);
            self.changes.push_back(ConsumerEvent::Assigned(found));
        }
    }

    /// Unlocks and leaves explicitly so the others count one member less at their next tick
    /// instead of waiting for the heartbeat to age; dropping the session closes the
    /// connection.
    pub async fn leave(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let client = &session.client;
        if let Err(error) = client
            .batch_execute("SELECT pg_advisory_unlock_all()")
            .await
        {
            tracing::debug!(%error, "unlocking partitions on close");
        }
        if let Err(error) = client.execute(LEAVE, &[&self.group, &self.member]).await {
            tracing::debug!(%error, "leaving the group on close");
        }
    }
}

fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}
