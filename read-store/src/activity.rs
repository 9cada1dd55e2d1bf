//! Reads of the activity log: filtered pages, replay after a sequence, one entry, and the
//! tenant's whole chain for verification.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use domain::activity::{entry_timestamp, ActivityEntry, ChainVerifier, TypedRef};
use futures::TryStreamExt;
use postgres_types::{Json, ToSql};
use schema::TenantId;
use tokio_postgres::Row;

use crate::{Listed, Order, StoreError};

const COLUMNS: &str = "id, sequence, type, timestamp, actor_type, actor_id, agent_id, subject_type,
     subject_id, data, hash, prev_hash";

fn entry_from_row(row: &Row) -> Result<ActivityEntry, StoreError> {
    let Json(data): Json<serde_json::Value> = row
        .try_get("data")
        .map_err(|e| StoreError::Corrupt(format!("activity data: {e}")))?;
    let timestamp: DateTime<Utc> = row.get("timestamp");
    Ok(ActivityEntry {
        id: row.get("id"),
        sequence: row.get("sequence"),
        event_type: row.get("type"),
        timestamp: entry_timestamp(timestamp),
        actor: TypedRef {
            kind: row.get("actor_type"),
            id: row.get("actor_id"),
        },
        agent_id: row.get("agent_id"),
        subject: TypedRef {
            kind: row.get("subject_type"),
            id: row.get("subject_id"),
        },
        data,
        hash: Some(row.get("hash")),
        prev_hash: row.get("prev_hash"),
    })
}

/// The filters of `GET /v1/activity`. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Exact event types.
    pub types: Vec<String>,
    /// Categories from `prefix.*` patterns (`cron` for `cron.*`).
    pub categories: Vec<String>,
    pub agent: Option<String>,
    pub actor_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only entries after this sequence (replay).
    pub after: Option<i64>,
}

type Param<'a> = &'a (dyn ToSql + Sync);

impl ActivityFilter {
    /// The `WHERE` clause of the filters given (and only those, so each query can use the
    /// index of its filter), with its parameters after the tenant's `$1`.
    fn where_clause<'a>(&'a self, tenant: &'a String) -> (String, Vec<Param<'a>>) {
        let mut params: Vec<Param<'a>> = vec![tenant];
        let mut clause = String::from("WHERE tenant_id = $1");
        let mut add = |condition: &str, param: Param<'a>| {
            params.push(param);
            clause.push_str(&condition.replace('?', &format!("${}", params.len())));
        };
        // One type (or category) is an equality, so its index yields the entries already in
        // sequence order and a page stops early, whatever the statistics say; several need a
        // sort of their matches.
        match (self.types.as_slice(), self.categories.as_slice()) {
            ([], []) => {}
            ([one], []) => add(" AND type = ?", one),
            ([], [one]) => add(" AND category = ?", one),
            (_, []) => add(" AND type = ANY(?)", &self.types),
            ([], _) => add(" AND category = ANY(?)", &self.categories),
            (_, _) => {
                add(" AND (type = ANY(?)", &self.types);
                add(" OR category = ANY(?))", &self.categories);
            }
        }
        if let Some(agent) = &self.agent {
            add(" AND agent_id = ?", agent);
        }
        if let Some(actor) = &self.actor_type {
            add(" AND actor_type = ?", actor);
        }
        if let Some(from) = &self.from {
            add(" AND timestamp >= ?", from);
        }
        if let Some(to) = &self.to {
            add(" AND timestamp < ?", to);
        }
        if let Some(after) = &self.after {
            add(" AND sequence > ?", after);
        }
        (clause, params)
    }

    /// Which kept counter answers this filter's total: filters on types alone, on an agent
    /// alone, or on an actor type alone. `None`: count the entries.
    fn counter(&self) -> Option<Counter<'_>> {
        let by_type = !self.types.is_empty() || !self.categories.is_empty();
        let rest = self.from.is_some() || self.to.is_some() || self.after.is_some();
        match (by_type, &self.agent, &self.actor_type, rest) {
            (true, None, None, false) => Some(Counter::Types),
            (false, Some(agent), None, false) => Some(Counter::Key("agent", agent)),
            (false, None, Some(actor), false) => Some(Counter::Key("actor", actor)),
            (false, None, None, _) if self.from.is_none() && self.to.is_none() => {
                Some(Counter::Head)
            }
            _ => None,
        }
    }
}

enum Counter<'a> {
    /// The tenant's head: every entry, or those after a sequence.
    Head,
    /// The sum of the counters of the types and categories asked for.
    Types,
    /// One counter of a dimension (`agent`, `actor`).
    Key(&'static str, &'a String),
}

/// A page of entries matching `filter`, by sequence in `order`, and how many match.
pub async fn list(
    client: &impl GenericClient,
    tenant: TenantId,
    filter: &ActivityFilter,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<Listed<ActivityEntry>, StoreError> {
    let tenant = tenant.to_string();
    let (clause, mut params) = filter.where_clause(&tenant);
    let page = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activity {clause} ORDER BY sequence {} LIMIT ${} OFFSET ${}",
            order.sql(),
            params.len() + 1,
            params.len() + 2
        ))
        .await?;
    let count_params = params.clone();
    params.extend([&limit as Param, &offset]);
    let (rows, total) = futures::try_join!(
        async { Ok(client.query(&page, &params).await?) },
        count(client, &tenant, filter, &clause, &count_params),
    )?;
    Ok(Listed {
        rows: rows.iter().map(entry_from_row).collect::<Result<_, _>>()?,
        total,
    })
}

/// How many entries match: from the tenant's head or the kept counters
/// (`activity_counts`) when one dimension alone filters, else counted.
async fn count(
    client: &impl GenericClient,
    tenant: &String,
    filter: &ActivityFilter,
    clause: &str,
    params: &[Param<'_>],
) -> Result<i64, StoreError> {
    let (sql, counter_params): (String, Vec<Param>) = match filter.counter() {
        Some(Counter::Head) => {
            let last = head_of(client, tenant).await?;
            return Ok((last - filter.after.unwrap_or(0).max(0)).max(0));
        }
        Some(Counter::Types) => (
            "SELECT coalesce(sum(count), 0)::bigint FROM activity_counts
             WHERE tenant_id = $1 AND dimension = 'type'
               AND (key = ANY($2) OR split_part(key, '.', 1) = ANY($3))"
                .to_owned(),
            vec![tenant, &filter.types, &filter.categories],
        ),
        Some(Counter::Key(dimension, key)) => (
            format!(
                "SELECT coalesce(sum(count), 0)::bigint FROM activity_counts
                 WHERE tenant_id = $1 AND dimension = '{dimension}' AND key = $2"
            ),
            vec![tenant, key],
        ),
        None => {
            let statement = client
                .prepare_cached(&format!("SELECT count(*) FROM activity {clause}"))
                .await?;
            return Ok(client.query_one(&statement, params).await?.get(0));
        }
    };
    let statement = client.prepare_cached(&sql).await?;
    Ok(client.query_one(&statement, &counter_params).await?.get(0))
}

async fn head_of(client: &impl GenericClient, tenant: &String) -> Result<i64, StoreError> {
    let statement = client
        .prepare_cached("SELECT last_sequence FROM activity_heads WHERE tenant_id = $1")
        .await?;
    Ok(client
        .query_opt(&statement, &[tenant])
        .await?
        .map_or(0, |row| row.get(0)))
}

/// The entry `id` of a tenant.
pub async fn get(
    client: &impl GenericClient,
    tenant: TenantId,
    id: &str,
) -> Result<Option<ActivityEntry>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activity WHERE id = $1 AND tenant_id = $2"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&id, &tenant.to_string()])
        .await?;
    row.as_ref().map(entry_from_row).transpose()
}

/// Entries of a tenant after `after`, ascending, at most `limit` (the live tail's catch-up).
pub async fn after(
    client: &impl GenericClient,
    tenant: TenantId,
    after: i64,
    limit: i64,
) -> Result<Vec<ActivityEntry>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activity WHERE tenant_id = $1 AND sequence > $2
             ORDER BY sequence LIMIT $3"
        ))
        .await?;
    let rows = client
        .query(&statement, &[&tenant.to_string(), &after, &limit])
        .await?;
    rows.iter().map(entry_from_row).collect()
}

/// Walks the tenant's whole chain in order, streaming, and recomputes every hash.
pub async fn verify(
    client: &impl GenericClient,
    tenant: TenantId,
) -> Result<ChainVerifier, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activity WHERE tenant_id = $1 ORDER BY sequence"
        ))
        .await?;
    let tenant = tenant.to_string();
    let params: [&(dyn ToSql + Sync); 1] = [&tenant];
    let rows = client.query_raw(&statement, params).await?;
    futures::pin_mut!(rows);
    let mut verifier = ChainVerifier::default();
    while let Some(row) = rows.try_next().await? {
        verifier.push(&entry_from_row(&row)?);
    }
    Ok(verifier)
}

/// The last sequence of a tenant's log (0 when it has none).
pub async fn head(client: &impl GenericClient, tenant: TenantId) -> Result<i64, StoreError> {
    head_of(client, &tenant.to_string()).await
}

/// New entries of several tenants at once, each after its own cursor, by tenant then sequence,
/// at most `limit` per tenant (the live tail's one query per wake-up, whatever the number of
/// streams).
pub async fn after_each(
    client: &impl GenericClient,
    cursors: &[(TenantId, i64)],
    limit: i64,
) -> Result<Vec<(TenantId, ActivityEntry)>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT a.tenant_id, {} FROM unnest($1::text[], $2::bigint[]) AS c(tenant_id, after)
             CROSS JOIN LATERAL (
                 SELECT * FROM activity a WHERE a.tenant_id = c.tenant_id AND a.sequence > c.after
                 ORDER BY a.sequence LIMIT $3
             ) a
             ORDER BY a.tenant_id, a.sequence",
            COLUMNS
                .split(',')
                .map(|c| format!("a.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .await?;
    let tenants: Vec<String> = cursors.iter().map(|(t, _)| t.to_string()).collect();
    let afters: Vec<i64> = cursors.iter().map(|(_, s)| *s).collect();
    let rows = client
        .query(&statement, &[&tenants, &afters, &limit])
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                crate::parse_column(row.get("tenant_id"))?,
                entry_from_row(row)?,
            ))
        })
        .collect()
}
