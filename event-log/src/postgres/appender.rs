//! Group commit for appends. Concurrent appends would each take their partition's head-row
//! lock for a transaction of their own, one after the other. Instead, one task per log keeps at
//! most [`IN_FLIGHT`] statements in flight and writes everything that queued up meanwhile — for
//! every partition not already in a statement in flight — as a single statement: the same
//! guarantees (offsets assigned under each partition's head-row lock, visible in order), a
//! fraction of the transactions under load, whether the appends are one tenant's or spread
//! over many tenants' partitions.

use std::collections::{BTreeMap, BTreeSet};

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::json_text::JsonText;
use super::{db_error, pool_error};
use crate::{ClaimedAppend, KeyClaim, LogError, Position};

/// Statements in flight at most. One would gather the most appends per statement, but then a
/// statement that is slow (a large record, a head row locked by another process's append)
/// would hold back every partition's appends; with two, the others go on beside it.
pub(super) const IN_FLIGHT: usize = 2;

/// Reserves offsets under the head-row lock of each partition of `$1` (`$2` records each),
/// inserts the records (`$3` partition, `$4` place among its partition's records, `$5`…`$7`) at
/// them in order, and signals each partition once; `$extra` adds to what the statement
/// selects. The head rows are locked in partition order, so two statements of two processes
/// that share partitions cannot deadlock; a partition without a head row is left out of the
/// answer (and its records out of the log).
macro_rules! append_many {
    ($extra:literal) => {
        concat!(
            r#"
WITH locked AS MATERIALIZED (
    SELECT partition FROM eventlog.partitions
    WHERE partition = ANY($1::int[])
    ORDER BY partition
    FOR UPDATE
), head AS (
    UPDATE eventlog.partitions p SET next_offset = p.next_offset + n.count
    FROM locked JOIN unnest($1::int[], $2::int[]) AS n(partition, count) USING (partition)
    WHERE p.partition = locked.partition
    RETURNING p.partition, p.next_offset - n.count AS base
), appended AS (
    INSERT INTO eventlog.records (partition, "offset", command_id, tenant_id, record)
    SELECT r.partition, head.base + r.place, r.command_id, r.tenant_id, r.record
    FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::jsonb[])
             AS r(partition, place, command_id, tenant_id, record)
    JOIN head USING (partition)
)
SELECT partition, base, pg_notify('agenfleet_log', partition::text)"#,
            $extra,
            " FROM head"
        )
    };
}

const APPEND_MANY: &str = append_many!("");

/// `APPEND_MANY` committed without waiting for its WAL flush (`synchronous_commit` off for this
/// transaction alone), used when the read models are in the log's database. Nothing is
/// acknowledged on the strength of the append: a command is answered once the projector's
/// transaction that applied it has committed, and that commit waits for the WAL to be flushed
/// up to its own position, which lies after the append's, so one flush covers both. The
/// scheduler's fires are claimed durably and appended again when a claim goes stale; a
/// dispatcher's follow-up command (after a recorded attempt) is lost by a crash of Postgres
/// within the WAL writer's ~0.6 s, as by a crash of the dispatcher between the two steps. See
/// docs/ARCHITECTURE.md.
const APPEND_MANY_UNFLUSHED: &str = append_many!(", set_config('synchronous_commit', 'off', true)");

/// `APPEND_MANY` for appends of which some claim an `Idempotency-Key` (`$7`…`$11`: tenant, key,
/// fingerprint, first use, lock; in key order, like `read_store::idempotency::CLAIM`, so that
/// statements sharing keys take their rows in one order). Each key is inserted if it is new,
/// before any partition's head row is locked; a record whose key (`$6`, NULL for none) was not
/// inserted is left out, and the records kept take gap-free offsets in their order. One row per
/// partition of `$1`: its first offset (NULL when none of its records was kept, or it has no
/// head row) and the places (`$2`) of its records left out. A key appears at most once in a
/// statement ([`claims_in_one_statement`]).
macro_rules! append_claiming {
    ($extra:literal) => {
        concat!(
            r#"
WITH claimed AS (
    INSERT INTO apistate.idempotency_keys (tenant_id, key, fingerprint, created_at, locked_until)
    SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])
    ON CONFLICT (tenant_id, key) DO NOTHING
    RETURNING tenant_id, key
), offered AS MATERIALIZED (
    SELECT r.partition, r.place, r.command_id, r.tenant_id, r.record,
           r.key IS NULL
               OR EXISTS (SELECT FROM claimed c WHERE c.tenant_id = r.tenant_id AND c.key = r.key)
               AS kept
    FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[])
             AS r(partition, place, command_id, tenant_id, record, key)
), kept AS MATERIALIZED (
    SELECT partition, command_id, tenant_id, record,
           row_number() OVER (PARTITION BY partition ORDER BY place) - 1 AS place
    FROM offered WHERE kept
), locked AS MATERIALIZED (
    SELECT partition FROM eventlog.partitions
    WHERE partition IN (SELECT partition FROM kept)
    ORDER BY partition
    FOR UPDATE
), head AS (
    UPDATE eventlog.partitions p SET next_offset = p.next_offset + n.count
    FROM locked
         JOIN (SELECT partition, count(*) AS count FROM kept GROUP BY partition) AS n
         USING (partition)
    WHERE p.partition = locked.partition
    RETURNING p.partition, p.next_offset - n.count AS base,
              pg_notify('agenfleet_log', p.partition::text)
), appended AS (
    INSERT INTO eventlog.records (partition, "offset", command_id, tenant_id, record)
    SELECT kept.partition, head.base + kept.place, kept.command_id, kept.tenant_id, kept.record
    FROM kept JOIN head USING (partition)
)
SELECT o.partition, head.base, coalesce(array_agg(o.place) FILTER (WHERE NOT o.kept), '{}')"#,
            $extra,
            r#"
FROM offered o LEFT JOIN head USING (partition)
GROUP BY o.partition, head.base"#
        )
    };
}

const APPEND_CLAIMING: &str = append_claiming!("");
const APPEND_CLAIMING_UNFLUSHED: &str =
    append_claiming!(", set_config('synchronous_commit', 'off', true)");

/// The statements an appender writes with: its appends' flush, with and without claims.
#[derive(Clone, Copy)]
struct Statements {
    plain: &'static str,
    claiming: &'static str,
}

pub(super) struct Pending {
    pub partition: u32,
    pub command_id: String,
    pub tenant_id: String,
    /// The record as encoded (JSON text).
    pub record: Vec<u8>,
    /// A key to claim in the append's transaction: the record is appended only if it is new.
    pub claim: Option<KeyClaim>,
    pub done: oneshot::Sender<Result<ClaimedAppend, LogError>>,
}

/// The handle appends go through; the task ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Appender {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Appender {
    /// `unflushed`: commit appends without waiting for their flush (`APPEND_MANY_UNFLUSHED`).
    pub fn start(pool: Pool, unflushed: bool) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let statements = if unflushed {
            Statements {
                plain: APPEND_MANY_UNFLUSHED,
                claiming: APPEND_CLAIMING_UNFLUSHED,
            }
        } else {
            Statements {
                plain: APPEND_MANY,
                claiming: APPEND_CLAIMING,
            }
        };
        tokio::spawn(run(pool, statements, incoming));
        Self { queue }
    }

    /// Queues one record; `pending.done` is told where it landed once it is committed.
    pub async fn append(&self, pending: Pending) -> Result<(), LogError> {
        self.queue
            .send(pending)
            .map_err(|_| LogError::Other("the appender task has stopped".to_owned()))
    }
}

/// Wakes on: a new append (queued), or a statement finishing (its partitions are free again).
/// Then, while fewer than [`IN_FLIGHT`] statements are in flight, writes everything queued for
/// partitions that are in none as one more. Ends when every handle is gone and nothing is
/// queued or in flight.
async fn run(pool: Pool, statements: Statements, mut incoming: mpsc::UnboundedReceiver<Pending>) {
    let (finished_tx, mut finished) = mpsc::unbounded_channel::<Vec<u32>>();
    let mut queued: BTreeMap<u32, Vec<Pending>> = BTreeMap::new();
    // Partitions in a statement in flight: a partition's next appends wait for it, so that its
    // offsets follow the order the appends came in.
    let mut busy: BTreeSet<u32> = BTreeSet::new();
    let mut in_flight = 0;
    let mut open = true;
    loop {
        tokio::select! {
            pending = incoming.recv(), if open => match pending {
                Some(pending) => queued.entry(pending.partition).or_default().push(pending),
                None => open = false,
            },
            Some(partitions) = finished.recv() => {
                in_flight -= 1;
                for partition in partitions {
                    busy.remove(&partition);
                }
            }
        }
        // Whatever else has come in goes into the same statement.
        while let Ok(pending) = incoming.try_recv() {
            queued.entry(pending.partition).or_default().push(pending);
        }
        while in_flight < IN_FLIGHT {
            let ready: Vec<u32> = queued
                .keys()
                .filter(|partition| !busy.contains(partition))
                .copied()
                .collect();
            if ready.is_empty() {
                break;
            }
            let groups: Vec<(u32, Vec<Pending>)> = ready
                .into_iter()
                .filter_map(|partition| Some((partition, queued.remove(&partition)?)))
                .map(|(partition, group)| (partition, claims_in_one_statement(group)))
                .collect();
            busy.extend(groups.iter().map(|(partition, _)| *partition));
            in_flight += 1;
            let (pool, finished) = (pool.clone(), finished_tx.clone());
            tokio::spawn(async move {
                let partitions = groups.iter().map(|(partition, _)| *partition).collect();
                write(&pool, statements, groups).await;
                let _ = finished.send(partitions);
            });
        }
        if !open && in_flight == 0 && queued.is_empty() {
            return;
        }
    }
}

/// Leaves in a partition's `group` one claim of each key: an append that claims a key an
/// earlier one in the group claims too is answered [`ClaimedAppend::KeyTaken`] at once (the
/// earlier one takes it, or, if its statement fails, the request it belongs to fails too and
/// its retry claims it), so that a statement never inserts a key twice.
fn claims_in_one_statement(group: Vec<Pending>) -> Vec<Pending> {
    let mut keys = BTreeSet::new();
    group
        .into_iter()
        .filter_map(|pending| match &pending.claim {
            Some(claim) if !keys.insert((pending.tenant_id.clone(), claim.key.clone())) => {
                let _ = pending.done.send(Ok(ClaimedAppend::KeyTaken));
                None
            }
            _ => Some(pending),
        })
        .collect()
}

/// Where a partition's appends of a statement landed: its first offset, and the places (in its
/// group) of the appends left out because their key was taken. No first offset: none was kept.
#[derive(Debug, Default)]
struct Landed {
    base: Option<i64>,
    taken: Vec<i32>,
}

/// Writes `groups` (each a partition and its appends in order, partitions ascending) in one
/// statement and answers each append with where it landed or the error. A statement the
/// database refuses (not one it could not run: those are `Unavailable` for every append in it)
/// may be refusing one append's record — a record `jsonb` cannot store — so its appends are
/// written again one by one, in their order, and only the refused ones fail: one tenant's bad
/// record never fails the appends of others that shared its statement.
async fn write(pool: &Pool, statements: Statements, groups: Vec<(u32, Vec<Pending>)>) {
    let result = attempt(pool, statements, &groups).await;
    let appends: usize = groups.iter().map(|(_, group)| group.len()).sum();
    if appends > 1 && matches!(result, Err(LogError::Other(_))) {
        for (partition, group) in groups {
            for pending in group {
                let alone = vec![(partition, vec![pending])];
                let result = attempt(pool, statements, &alone).await;
                answer(alone, &result);
            }
        }
        return;
    }
    answer(groups, &result);
}

/// Runs the statement for `groups`: where each partition's appends landed.
async fn attempt(
    pool: &Pool,
    statements: Statements,
    groups: &[(u32, Vec<Pending>)],
) -> Result<BTreeMap<u32, Landed>, LogError> {
    let appends = || {
        groups
            .iter()
            .flat_map(|(p, g)| g.iter().map(move |a| (*p, a)))
    };
    let claiming = appends().any(|(_, a)| a.claim.is_some());
    let client = pool.get().await.map_err(pool_error)?;
    let statement = client
        .prepare_cached(if claiming {
            statements.claiming
        } else {
            statements.plain
        })
        .await
        .map_err(db_error)?;
    let partitions: Vec<i32> = groups.iter().map(|(p, _)| *p as i32).collect();
    let counts: Vec<i32> = groups.iter().map(|(_, g)| g.len() as i32).collect();
    let record_partitions: Vec<i32> = appends().map(|(p, _)| p as i32).collect();
    let places: Vec<i32> = groups.iter().flat_map(|(_, g)| 0..g.len() as i32).collect();
    let command_ids: Vec<&str> = appends().map(|(_, a)| a.command_id.as_str()).collect();
    let tenant_ids: Vec<&str> = appends().map(|(_, a)| a.tenant_id.as_str()).collect();
    let records: Vec<JsonText> = appends().map(|(_, a)| JsonText(&a.record)).collect();
    if !claiming {
        let rows = client
            .query(
                &statement,
                &[
                    &partitions,
                    &counts,
                    &record_partitions,
                    &places,
                    &command_ids,
                    &tenant_ids,
                    &records,
                ],
            )
            .await
            .map_err(db_error)?;
        return Ok(rows
            .iter()
            .map(|row| {
                let landed = Landed {
                    base: Some(row.get(1)),
                    taken: Vec::new(),
                };
                (row.get::<_, i32>(0) as u32, landed)
            })
            .collect());
    }
    let keys: Vec<Option<&str>> = appends()
        .map(|(_, a)| a.claim.as_ref().map(|c| c.key.as_str()))
        .collect();
    // In key order (see `APPEND_CLAIMING`).
    let mut claims: Vec<(&str, &KeyClaim)> = appends()
        .filter_map(|(_, a)| Some((a.tenant_id.as_str(), a.claim.as_ref()?)))
        .collect();
    claims.sort_by(|(t1, c1), (t2, c2)| (t1, &c1.key).cmp(&(t2, &c2.key)));
    let claim_tenants: Vec<&str> = claims.iter().map(|(t, _)| *t).collect();
    let claim_keys: Vec<&str> = claims.iter().map(|(_, c)| c.key.as_str()).collect();
    let fingerprints: Vec<&str> = claims.iter().map(|(_, c)| c.fingerprint.as_str()).collect();
    let first_uses: Vec<_> = claims.iter().map(|(_, c)| c.first_seen).collect();
    let locks: Vec<_> = claims.iter().map(|(_, c)| c.locked_until).collect();
    let rows = client
        .query(
            &statement,
            &[
                &record_partitions,
                &places,
                &command_ids,
                &tenant_ids,
                &records,
                &keys,
                &claim_tenants,
                &claim_keys,
                &fingerprints,
                &first_uses,
                &locks,
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| {
            let landed = Landed {
                base: row.get(1),
                taken: row.get(2),
            };
            (row.get::<_, i32>(0) as u32, landed)
        })
        .collect())
}

/// Answers each append of `groups` from the statement's `result`.
fn answer(groups: Vec<(u32, Vec<Pending>)>, result: &Result<BTreeMap<u32, Landed>, LogError>) {
    for (partition, group) in groups {
        let landed = match result {
            Ok(landed) => landed.get(&partition),
            Err(_) => None,
        };
        // Appends kept before this one: its offset past the partition's first.
        let mut kept = 0;
        for (place, pending) in group.into_iter().enumerate() {
            let outcome = match (result, landed) {
                (Ok(_), Some(landed)) if landed.taken.contains(&(place as i32)) => {
                    Ok(ClaimedAppend::KeyTaken)
                }
                (
                    Ok(_),
                    Some(Landed {
                        base: Some(base), ..
                    }),
                ) => {
                    kept += 1;
                    Ok(ClaimedAppend::Appended(Position {
                        partition,
                        offset: base + kept - 1,
                    }))
                }
                (Ok(_), _) => Err(LogError::Other(format!(
                    "partition {partition} has no row in eventlog.partitions: run migrate"
                ))),
                (Err(LogError::Unavailable(message)), _) => {
                    Err(LogError::Unavailable(message.clone()))
                }
                (Err(other), _) => Err(LogError::Other(other.to_string())),
            };
            let _ = pending.done.send(outcome);
        }
    }
}
