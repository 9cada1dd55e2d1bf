//! Reads of the `cron_jobs` and `cron_runs` read models: for the API, for the projector's
//! prefetch, and for the schedulers (due fires, overdue runs).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use domain::CronJobState;
use postgres_types::Json;
use schema::cron::{CronJobSnapshot, CronRunSnapshot, OverlapPolicy, RunDeliveryStatus, RunStatus};
use schema::{AgentId, CronJobId, CronRunId, TenantId};
use tokio_postgres::Row;

use crate::{parse_column, Listed, Page, StoreError};

pub(crate) const JOB_COLUMNS: &str = "j.tenant_id, j.id, j.agent_id, j.name, j.prompt, j.schedule,
     j.timezone, j.enabled, j.overlap_policy, j.delivery, j.delivery_secret, j.next_run_at,
     j.last_run_at, j.last_run_status, j.created_at, j.updated_at";

pub(crate) const RUN_COLUMNS: &str = "r.tenant_id, r.id, r.cron_job_id, r.agent_id,
     r.scheduled_for, r.started_at, r.finished_at, r.status, r.session_id, r.input_tokens,
     r.output_tokens, r.delivery_status, r.error";

/// The channel the schedulers listen on: a batch changed cron jobs (one may be due sooner).
pub const JOBS_CHANNEL: &str = "agenfleet_cron_jobs";

/// Runs by `(tenant, id)` ($1, $2) and by `(tenant, session)` ($3, $4): the prefetch.
pub(crate) static RUNS_FOR_BATCH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {RUN_COLUMNS} FROM cron_runs r
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, id) ON r.tenant_id = w.tenant_id AND r.id = w.id
         UNION
         SELECT {RUN_COLUMNS} FROM cron_runs r
         JOIN unnest($3::text[], $4::text[]) AS w(tenant_id, session_id)
           ON r.tenant_id = w.tenant_id AND r.session_id = w.session_id"
    )
});

/// Jobs by id ($1, $2), the jobs of those runs ($3, $4) and of the runs of those sessions
/// ($5, $6), and every job of some agents ($7, $8): the prefetch.
pub(crate) static JOBS_FOR_BATCH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {JOB_COLUMNS} FROM cron_jobs j
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, id) ON j.tenant_id = w.tenant_id AND j.id = w.id
         UNION
         SELECT {JOB_COLUMNS} FROM cron_jobs j
         JOIN cron_runs r ON r.tenant_id = j.tenant_id AND r.cron_job_id = j.id
         JOIN unnest($3::text[], $4::text[]) AS w(tenant_id, id) ON r.tenant_id = w.tenant_id AND r.id = w.id
         UNION
         SELECT {JOB_COLUMNS} FROM cron_jobs j
         JOIN cron_runs r ON r.tenant_id = j.tenant_id AND r.cron_job_id = j.id
         JOIN unnest($5::text[], $6::text[]) AS w(tenant_id, session_id)
           ON r.tenant_id = w.tenant_id AND r.session_id = w.session_id
         UNION
         SELECT {JOB_COLUMNS} FROM cron_jobs j
         JOIN unnest($7::text[], $8::text[]) AS w(tenant_id, agent_id)
           ON j.tenant_id = w.tenant_id AND j.agent_id = w.agent_id"
    )
});

/// The sessions of runs by `(tenant, run id)`: the prefetch (a time-out archives the session).
pub(crate) static SESSIONS_OF_RUNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM sessions s
         JOIN cron_runs r ON r.tenant_id = s.tenant_id AND r.session_id = s.id
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, id) ON r.tenant_id = w.tenant_id AND r.id = w.id",
        crate::sessions::COLUMNS
    )
});

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

pub(crate) fn job_from_row(row: &Row) -> Result<CronJobState, StoreError> {
    let policy: String = row.get("overlap_policy");
    let last_status: Option<String> = row.get("last_run_status");
    let Json(delivery) = row
        .try_get("delivery")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(CronJobState {
        job: CronJobSnapshot {
            id: parse_column(row.get("id"))?,
            agent_id: parse_column(row.get("agent_id"))?,
            name: row.get("name"),
            prompt: row.get("prompt"),
            schedule: row.get("schedule"),
            timezone: row.get("timezone"),
            enabled: row.get("enabled"),
            overlap_policy: OverlapPolicy::parse(&policy)
                .ok_or_else(|| corrupt("overlap policy", &policy))?,
            delivery,
            next_run_at: row.get("next_run_at"),
            last_run_at: row.get("last_run_at"),
            last_run_status: last_status
                .map(|s| RunStatus::parse(&s).ok_or_else(|| corrupt("run status", &s)))
                .transpose()?,
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        },
        delivery_secret: row.get("delivery_secret"),
    })
}

pub(crate) fn run_from_row(row: &Row) -> Result<CronRunSnapshot, StoreError> {
    let status: String = row.get("status");
    let delivery: String = row.get("delivery_status");
    let session: Option<String> = row.get("session_id");
    Ok(CronRunSnapshot {
        id: parse_column(row.get("id"))?,
        cron_job_id: parse_column(row.get("cron_job_id"))?,
        agent_id: parse_column(row.get("agent_id"))?,
        scheduled_for: row.get("scheduled_for"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
        status: RunStatus::parse(&status).ok_or_else(|| corrupt("run status", &status))?,
        session_id: session.as_deref().map(parse_column).transpose()?,
        input_tokens: row.get::<_, i64>("input_tokens").max(0) as u64,
        output_tokens: row.get::<_, i64>("output_tokens").max(0) as u64,
        delivery_status: RunDeliveryStatus::parse(&delivery)
            .ok_or_else(|| corrupt("delivery status", &delivery))?,
        error: row.get("error"),
    })
}

pub async fn job(
    client: &impl GenericClient,
    tenant: TenantId,
    id: CronJobId,
) -> Result<Option<CronJobSnapshot>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM cron_jobs j WHERE j.tenant_id = $1 AND j.id = $2"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&tenant.to_string(), &id.to_string()])
        .await?;
    row.as_ref()
        .map(|row| job_from_row(row).map(|state| state.job))
        .transpose()
}

/// Filters of `GET /v1/cron-jobs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobFilter {
    pub agent: Option<AgentId>,
    pub enabled: Option<bool>,
}

pub async fn jobs(
    client: &impl GenericClient,
    tenant: TenantId,
    filter: JobFilter,
    page: Page,
) -> Result<Listed<CronJobSnapshot>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS}, count(*) OVER () AS total FROM cron_jobs j
             WHERE j.tenant_id = $1 AND ($2::text IS NULL OR j.agent_id = $2)
               AND ($3::bool IS NULL OR j.enabled = $3)
             ORDER BY j.created_at {order}, j.id {order} LIMIT $4 OFFSET $5"
        ))
        .await?;
    let (tenant, agent) = (tenant.to_string(), filter.agent.map(|id| id.to_string()));
    let rows = client
        .query(
            &statement,
            &[&tenant, &agent, &filter.enabled, &page.limit, &page.offset],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => client
            .query_one(
                "SELECT count(*) FROM cron_jobs j WHERE j.tenant_id = $1
                   AND ($2::text IS NULL OR j.agent_id = $2) AND ($3::bool IS NULL OR j.enabled = $3)",
                &[&tenant, &agent, &filter.enabled],
            )
            .await?
            .get(0),
    };
    let rows = rows
        .iter()
        .map(|row| job_from_row(row).map(|state| state.job))
        .collect::<Result<_, _>>()?;
    Ok(Listed { rows, total })
}

pub async fn run(
    client: &impl GenericClient,
    tenant: TenantId,
    job: CronJobId,
    id: CronRunId,
) -> Result<Option<CronRunSnapshot>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM cron_runs r
             WHERE r.tenant_id = $1 AND r.cron_job_id = $2 AND r.id = $3"
        ))
        .await?;
    let row = client
        .query_opt(
            &statement,
            &[&tenant.to_string(), &job.to_string(), &id.to_string()],
        )
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// A job's runs, newest scheduled first unless `order=asc`.
pub async fn runs(
    client: &impl GenericClient,
    tenant: TenantId,
    job: CronJobId,
    page: Page,
) -> Result<Listed<CronRunSnapshot>, StoreError> {
    let order = page.order.sql();
    let statement = client
        .prepare_cached(&format!(
            "SELECT {RUN_COLUMNS}, count(*) OVER () AS total FROM cron_runs r
             WHERE r.tenant_id = $1 AND r.cron_job_id = $2
             ORDER BY r.scheduled_for {order}, r.id {order} LIMIT $3 OFFSET $4"
        ))
        .await?;
    let (tenant, job) = (tenant.to_string(), job.to_string());
    let rows = client
        .query(&statement, &[&tenant, &job, &page.limit, &page.offset])
        .await?;
    let total = match rows.first() {
        Some(row) => row.get("total"),
        None => client
            .query_one(
                "SELECT count(*) FROM cron_runs WHERE tenant_id = $1 AND cron_job_id = $2",
                &[&tenant, &job],
            )
            .await?
            .get(0),
    };
    let rows = rows.iter().map(run_from_row).collect::<Result<_, _>>()?;
    Ok(Listed { rows, total })
}

/// A fire a scheduler should append: the job's `nextRunAt` has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueFire {
    pub tenant_id: TenantId,
    pub cron_job_id: CronJobId,
    pub agent_id: AgentId,
    pub scheduled_for: DateTime<Utc>,
    pub schedule: String,
    pub timezone: String,
}

/// Where a scan of due jobs stands: the last `(nextRunAt, tenant, id)` it read.
pub type DueCursor = (DateTime<Utc>, String, String);

/// Enabled jobs due at `now`, earliest first, after `cursor` (a page of a scan).
pub async fn due(
    client: &impl GenericClient,
    now: DateTime<Utc>,
    cursor: Option<&DueCursor>,
    limit: i64,
) -> Result<Vec<DueFire>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT tenant_id, id, agent_id, next_run_at, schedule, timezone FROM cron_jobs
             WHERE enabled AND next_run_at <= $1
               AND ($2::timestamptz IS NULL OR (next_run_at, tenant_id, id) > ($2, $3, $4))
             ORDER BY next_run_at, tenant_id, id LIMIT $5",
        )
        .await?;
    let (at, tenant, id) = match cursor {
        Some((at, tenant, id)) => (Some(*at), Some(tenant.as_str()), Some(id.as_str())),
        None => (None, None, None),
    };
    let rows = client
        .query(&statement, &[&now, &at, &tenant, &id, &limit])
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DueFire {
                tenant_id: parse_column(row.get(0))?,
                cron_job_id: parse_column(row.get(1))?,
                agent_id: parse_column(row.get(2))?,
                scheduled_for: row.get(3),
                schedule: row.get(4),
                timezone: row.get(5),
            })
        })
        .collect()
}

/// When the next enabled job is due, if any.
pub async fn next_due(client: &impl GenericClient) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = client
        .query_one(
            "SELECT min(next_run_at) FROM cron_jobs WHERE enabled AND next_run_at IS NOT NULL",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Enabled jobs whose next fire is within `within` from now (those overdue included).
pub async fn due_within(
    client: &impl GenericClient,
    within: std::time::Duration,
) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM cron_jobs
             WHERE enabled AND next_run_at <= now() + make_interval(secs => $1)",
            &[&within.as_secs_f64()],
        )
        .await?;
    Ok(row.get(0))
}

/// Runs still waiting for the agent's reply since before `started_before`.
pub async fn overdue_runs(
    client: &impl GenericClient,
    started_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(TenantId, CronRunId)>, StoreError> {
    let rows = client
        .query(
            "SELECT tenant_id, id FROM cron_runs WHERE status = 'running' AND started_at < $1
             ORDER BY started_at LIMIT $2",
            &[&started_before, &limit],
        )
        .await?;
    rows.iter()
        .map(|row| Ok((parse_column(row.get(0))?, parse_column(row.get(1))?)))
        .collect()
}

/// When the oldest running run started, if any.
pub async fn oldest_running(
    client: &impl GenericClient,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = client
        .query_one(
            "SELECT min(started_at) FROM cron_runs WHERE status = 'running'",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Claims due fires for this scheduler, in one statement; returns those that are this
/// scheduler's to append: nobody claimed them, or the claim is older than `stale` (its
/// scheduler died before the fire was applied).
pub async fn claim_fires(
    client: &impl GenericClient,
    fires: &[(CronJobId, DateTime<Utc>)],
    stale: std::time::Duration,
) -> Result<Vec<(CronJobId, DateTime<Utc>)>, StoreError> {
    if fires.is_empty() {
        return Ok(Vec::new());
    }
    let statement = client
        .prepare_cached(
            "INSERT INTO scheduling.fire_claims AS c (cron_job_id, scheduled_for, claimed_at)
             SELECT f.cron_job_id, f.scheduled_for, now()
             FROM unnest($1::text[], $2::timestamptz[]) AS f(cron_job_id, scheduled_for)
             ON CONFLICT (cron_job_id, scheduled_for) DO UPDATE SET claimed_at = now()
             WHERE c.claimed_at < now() - make_interval(secs => $3)
             RETURNING cron_job_id, scheduled_for",
        )
        .await?;
    let jobs: Vec<String> = fires.iter().map(|(job, _)| job.to_string()).collect();
    let times: Vec<DateTime<Utc>> = fires.iter().map(|(_, at)| *at).collect();
    let rows = client
        .query(&statement, &[&jobs, &times, &stale.as_secs_f64()])
        .await?;
    rows.iter()
        .map(|row| Ok((parse_column(row.get(0))?, row.get(1))))
        .collect()
}

/// Forgets claims of fires long past (their jobs have moved on).
pub async fn forget_old_claims(
    client: &impl GenericClient,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(client
        .execute(
            "DELETE FROM scheduling.fire_claims WHERE claimed_at < $1",
            &[&before],
        )
        .await?)
}
