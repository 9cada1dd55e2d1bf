//! The cron jobs' and runs' writes of a batch (see the parent module).

use domain::usage::to_bigint;
use postgres_types::Json;

use super::super::overlay::Overlay;
use super::super::pipeline::Statement;
use super::super::unit_of_work::Changes;

const DELETE_CRON_JOBS: &str =
    "DELETE FROM cron_jobs j USING unnest($1::text[], $2::text[]) AS d(tenant_id, id)
     WHERE j.tenant_id = d.tenant_id AND j.id = d.id";
pub(super) const UPSERT_CRON_JOBS: &str =
    "INSERT INTO cron_jobs (tenant_id, id, agent_id, name, prompt, schedule, timezone, enabled,
                            overlap_policy, delivery, delivery_secret, next_run_at, last_run_at,
                            last_run_status, created_at, updated_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::text[], $8::bool[], $9::text[], $10::jsonb[], $11::text[],
                          $12::timestamptz[], $13::timestamptz[], $14::text[], $15::timestamptz[],
                          $16::timestamptz[])
     ON CONFLICT (tenant_id, id) DO UPDATE SET
         name = EXCLUDED.name, prompt = EXCLUDED.prompt, schedule = EXCLUDED.schedule,
         timezone = EXCLUDED.timezone, enabled = EXCLUDED.enabled,
         overlap_policy = EXCLUDED.overlap_policy, delivery = EXCLUDED.delivery,
         delivery_secret = EXCLUDED.delivery_secret, next_run_at = EXCLUDED.next_run_at,
         last_run_at = EXCLUDED.last_run_at, last_run_status = EXCLUDED.last_run_status,
         updated_at = EXCLUDED.updated_at";
pub(super) const UPSERT_CRON_RUNS: &str = "INSERT INTO cron_runs (tenant_id, id, cron_job_id, agent_id, scheduled_for, started_at,
                            finished_at, status, session_id, input_tokens, output_tokens,
                            delivery_status, error)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                          $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::bigint[],
                          $11::bigint[], $12::text[], $13::text[])
     ON CONFLICT (tenant_id, id) DO UPDATE SET
         started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
         status = EXCLUDED.status, session_id = EXCLUDED.session_id,
         input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
         delivery_status = EXCLUDED.delivery_status, error = EXCLUDED.error";
/// Cron jobs (upserted or deleted) and runs (upserted), from their final state in the overlay.
pub(super) fn statements(overlay: &Overlay, changes: &Changes, statements: &mut Vec<Statement>) {
    let (mut gone, mut kept) = (Vec::new(), Vec::new());
    for key in &changes.cron_jobs {
        match overlay.cron_jobs.get(key).and_then(Option::as_ref) {
            Some(job) => kept.push((key.0, job)),
            None => gone.push(*key),
        }
    }
    if !gone.is_empty() {
        statements.push(Statement::new(
            DELETE_CRON_JOBS,
            columns!(gone, |(t, _)| t.to_string(), |(_, j)| j.to_string()),
        ));
    }
    if !kept.is_empty() {
        statements.push(Statement::new(
            UPSERT_CRON_JOBS,
            columns!(
                kept,
                |(t, _)| t.to_string(),
                |(_, j)| j.job.id.to_string(),
                |(_, j)| j.job.agent_id.to_string(),
                |(_, j)| j.job.name.clone(),
                |(_, j)| j.job.prompt.clone(),
                |(_, j)| j.job.schedule.clone(),
                |(_, j)| j.job.timezone.clone(),
                |(_, j)| j.job.enabled,
                |(_, j)| j.job.overlap_policy.as_str(),
                |(_, j)| Json(serde_json::to_value(&j.job.delivery).unwrap_or_default()),
                |(_, j)| j.delivery_secret.clone(),
                |(_, j)| j.job.next_run_at,
                |(_, j)| j.job.last_run_at,
                |(_, j)| j.job.last_run_status.map(|s| s.as_str()),
                |(_, j)| j.job.created_at,
                |(_, j)| j.job.updated_at,
            ),
        ));
    }

    let runs: Vec<_> = changes
        .cron_runs
        .iter()
        .filter_map(|key| Some((key.0, overlay.cron_runs.get(key)?)))
        .collect();
    if !runs.is_empty() {
        statements.push(Statement::new(
            UPSERT_CRON_RUNS,
            columns!(
                runs,
                |(t, _)| t.to_string(),
                |(_, r)| r.id.to_string(),
                |(_, r)| r.cron_job_id.to_string(),
                |(_, r)| r.agent_id.to_string(),
                |(_, r)| r.scheduled_for,
                |(_, r)| r.started_at,
                |(_, r)| r.finished_at,
                |(_, r)| r.status.as_str(),
                |(_, r)| r.session_id.map(|id| id.to_string()),
                |(_, r)| to_bigint(r.input_tokens),
                |(_, r)| to_bigint(r.output_tokens),
                |(_, r)| r.delivery_status.as_str(),
                |(_, r)| r.error.clone(),
            ),
        ));
    }
}
