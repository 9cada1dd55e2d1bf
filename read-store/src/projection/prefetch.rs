//! Loading what a batch needs in one pipelined round trip of set queries.

use super::in_send_order::InSendOrder;
use super::transaction::PipelinedTransaction;
use domain::AgentState;
use schema::{AgentId, ApiKeyId, CommandId, TenantId};

use super::overlay::{Overlay, Wanted};
use crate::StoreError;

use crate::parse_column as parse;

/// `(tenants, ids)` columns of a set of `(tenant, id)`.
fn pairs_of<T: ToString>(
    set: &std::collections::HashSet<(TenantId, T)>,
) -> (Vec<String>, Vec<String>) {
    set.iter()
        .map(|(tenant, id)| (tenant.to_string(), id.to_string()))
        .unzip()
}

fn texts<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|item| item.to_string()).collect()
}

/// Decided commands by id.
pub(crate) const DECIDED: &str =
    "SELECT command_id FROM command_outcomes WHERE command_id = ANY($1)";
/// Known tenants by id.
pub(crate) const KNOWN_TENANTS: &str = "SELECT id FROM tenants WHERE id = ANY($1)";
/// The agents holding names, by `(tenant, name key)`.
pub(crate) const NAMES: &str = "SELECT a.tenant_id, a.name_key, a.id FROM agents a
             JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, name_key)
               ON a.tenant_id = w.tenant_id AND a.name_key = w.name_key";
/// API keys by id, with whether they are revoked. Planned afresh (rare: only key commands
/// need it): on a small table a generic plan reads `api_keys_by_tenant`, whose other columns
/// make it a scan of the index once the table has grown.
pub(crate) const KEYS: &str =
    "SELECT tenant_id, id, revoked_at IS NOT NULL FROM api_keys WHERE id = ANY($1)";
/// The heads of tenants' activity chains.
pub(crate) const HEADS: &str =
    "SELECT tenant_id, last_sequence, last_hash FROM activity_heads WHERE tenant_id = ANY($1)";

/// The prefetch's lookups by a unique key (or, for a tenant's webhooks, by the first column of
/// one: at most `MAX_WEBHOOKS_PER_TENANT` rows each), with sample arguments: they run with
/// generic plans (see [`GENERIC_PLANS`]), and `lookup_plans` (api tests) checks each one's plan
/// on empty and grown tables, with [`crate::store::lookup_statements`].
pub(crate) fn unique_lookups() -> Vec<(String, &'static [&'static str])> {
    vec![
        (DECIDED.to_owned(), &["{cmd_x,cmd_y}"]),
        (KNOWN_TENANTS.to_owned(), &["{ten_x,ten_y}"]),
        (
            crate::agents::STATE_BY_IDS.clone(),
            &["{ten_x,ten_y}", "{agent_x,agent_y}"],
        ),
        (NAMES.to_owned(), &["{ten_x,ten_y}", "{name_x,name_y}"]),
        (HEADS.to_owned(), &["{ten_x,ten_y}"]),
        (
            crate::sessions::BY_IDS.clone(),
            &["{ten_x,ten_y}", "{ses_x,ses_y}"],
        ),
        (crate::webhooks::BY_TENANTS.clone(), &["{ten_x,ten_y}"]),
    ]
}

/// Sent before the prefetch's lookups by a unique key: they are planned once per connection
/// and reused (generic plans, as on lookup connections; planning them cost more than running
/// them, about an eighth of a batch), planned again as the pool's connections are used
/// (`store::plans_again_after`).
const GENERIC_PLANS: &str =
    "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off";
/// Sent after them: the rest of the batch plans each execution afresh, as the connection does.
const CUSTOM_PLANS: &str =
    "SET LOCAL plan_cache_mode TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT";

/// The rows of `statement`, or none without running it when `empty` (nothing is asked).
async fn query_unless_empty(
    tx: &PipelinedTransaction,
    statement: &tokio_postgres::Statement,
    params: &[&(dyn postgres_types::ToSql + Sync)],
    empty: bool,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    if empty {
        return Ok(Vec::new());
    }
    tx.query(statement, params).await
}

/// Fills an overlay with the facts `wanted` names, as stored before the batch.
pub async fn load(tx: &PipelinedTransaction, wanted: &Wanted) -> Result<Overlay, StoreError> {
    let commands = texts(&wanted.commands);
    let tenants = texts(&wanted.tenants);
    let (agent_tenants, agent_ids): (Vec<String>, Vec<String>) = wanted
        .agents
        .iter()
        .map(|(tenant, id)| (tenant.to_string(), id.to_string()))
        .unzip();
    let (name_tenants, name_keys): (Vec<String>, Vec<String>) = wanted
        .names
        .iter()
        .map(|(tenant, key)| (tenant.to_string(), key.clone()))
        .unzip();
    let key_ids = texts(wanted.keys.iter().map(|(_, id)| id));
    let (session_tenants, session_ids): (Vec<String>, Vec<String>) = wanted
        .sessions
        .iter()
        .map(|(tenant, id)| (tenant.to_string(), id.to_string()))
        .unzip();
    let filter_tenants = texts(wanted.active_sessions.iter().map(|(tenant, _)| tenant));
    let filter_agents: Vec<Option<String>> = wanted
        .active_sessions
        .iter()
        .map(|(_, filter)| filter.agent.map(|id| id.to_string()))
        .collect();
    let filter_before: Vec<Option<chrono::DateTime<chrono::Utc>>> = wanted
        .active_sessions
        .iter()
        .map(|(_, filter)| filter.idle_before)
        .collect();

    let (job_tenants, job_ids) = pairs_of(&wanted.cron_jobs);
    let (run_tenants, run_ids) = pairs_of(&wanted.cron_runs);
    let (run_session_tenants, run_sessions) = pairs_of(&wanted.cron_sessions);
    let (agent_job_tenants, agent_job_agents) = pairs_of(&wanted.cron_agents);

    let decided = tx.prepare_cached(DECIDED).await?;
    let known_tenants = tx.prepare_cached(KNOWN_TENANTS).await?;
    let agents = tx.prepare_cached(&crate::agents::STATE_BY_IDS).await?;
    let names = tx.prepare_cached(NAMES).await?;
    let keys = tx.prepare_cached(KEYS).await?;
    let heads = tx.prepare_cached(HEADS).await?;

    let sessions = tx.prepare_cached(&crate::sessions::BY_IDS).await?;
    let active_sessions = tx.prepare_cached(&crate::sessions::ACTIVE_MATCHING).await?;
    let webhooks = tx.prepare_cached(&crate::webhooks::BY_TENANTS).await?;
    let cron_runs = tx.prepare_cached(&crate::cron::RUNS_FOR_BATCH).await?;
    let cron_jobs = tx.prepare_cached(&crate::cron::JOBS_FOR_BATCH).await?;
    let run_sessions_query = tx.prepare_cached(&crate::cron::SESSIONS_OF_RUNS).await?;

    // Issued together, answered in one round trip.
    type Params<'a> = [&'a (dyn postgres_types::ToSql + Sync)];
    let (p_commands, p_tenants, p_agents): (&Params, &Params, &Params) =
        (&[&commands], &[&tenants], &[&agent_tenants, &agent_ids]);
    let (p_names, p_keys): (&Params, &Params) = (&[&name_tenants, &name_keys], &[&key_ids]);
    let (p_sessions, p_active): (&Params, &Params) = (
        &[&session_tenants, &session_ids],
        &[&filter_tenants, &filter_agents, &filter_before],
    );
    let (p_runs, p_jobs): (&Params, &Params) = (
        &[&run_tenants, &run_ids, &run_session_tenants, &run_sessions],
        &[
            &job_tenants,
            &job_ids,
            &run_tenants,
            &run_ids,
            &run_session_tenants,
            &run_sessions,
            &agent_job_tenants,
            &agent_job_agents,
        ],
    );
    let p_run_ids: &Params = &[&run_tenants, &run_ids];
    let wants_cron = !(wanted.cron_jobs.is_empty()
        && wanted.cron_runs.is_empty()
        && wanted.cron_sessions.is_empty()
        && wanted.cron_agents.is_empty());
    let (
        (
            (),
            decided,
            known_tenants,
            agents,
            names,
            heads,
            sessions,
            webhooks,
            (),
            keys,
            active_sessions,
        ),
        (cron_runs, cron_jobs, run_sessions_rows),
    ) = futures::join!(
        async {
            // Sent in this order (each when first polled): the settings apply to the lookups
            // between them.
            futures::join!(
                tx.batch_execute(GENERIC_PLANS),
                tx.query(&decided, p_commands),
                tx.query(&known_tenants, p_tenants),
                tx.query(&agents, p_agents),
                tx.query(&names, p_names),
                tx.query(&heads, p_tenants),
                tx.query(&sessions, p_sessions),
                tx.query(&webhooks, p_tenants),
                tx.batch_execute(CUSTOM_PLANS),
                // Skipped when nothing is asked: planning one costs more than running it.
                query_unless_empty(tx, &keys, p_keys, key_ids.is_empty()),
                query_unless_empty(tx, &active_sessions, p_active, filter_tenants.is_empty()),
            )
            .in_send_order()
        },
        async {
            // Planned afresh on every execution (custom plans): skipped when no record of the
            // batch touches cron.
            if !wants_cron {
                return Ok((Vec::new(), Vec::new(), Vec::new()));
            }
            futures::join!(
                tx.query(&cron_runs, p_runs),
                tx.query(&cron_jobs, p_jobs),
                tx.query(&run_sessions_query, p_run_ids),
            )
            .in_send_order()
        },
    )
    .in_send_order()?;

    let mut overlay = Overlay::default();
    for row in decided {
        overlay.decided.insert(parse::<CommandId>(row.get(0))?);
    }
    for tenant in &wanted.tenants {
        overlay.tenants.insert(*tenant, false);
    }
    for row in known_tenants {
        overlay.tenants.insert(parse(row.get(0))?, true);
    }
    for wanted_agent in &wanted.agents {
        overlay.agents.insert(*wanted_agent, None);
    }
    for row in agents {
        let tenant: TenantId = parse(row.get("tenant_id"))?;
        let agent: AgentState = crate::agents::agent_state_from_row(&row)?;
        overlay.agents.insert((tenant, agent.id), Some(agent));
    }
    for wanted_name in &wanted.names {
        overlay.names.insert(wanted_name.clone(), None);
    }
    for row in names {
        let holder: AgentId = parse(row.get(2))?;
        overlay
            .names
            .insert((parse(row.get(0))?, row.get(1)), Some(holder));
    }
    for wanted_key in &wanted.keys {
        overlay.keys.insert(*wanted_key, None);
    }
    for row in keys {
        let key: ApiKeyId = parse(row.get(1))?;
        overlay
            .keys
            .insert((parse(row.get(0))?, key), Some(row.get(2)));
    }
    for wanted_session in &wanted.sessions {
        overlay.sessions.insert(*wanted_session, None);
    }
    for wanted_job in &wanted.cron_jobs {
        overlay.cron_jobs.insert(*wanted_job, None);
    }
    for row in cron_jobs {
        let tenant: TenantId = parse(row.get("tenant_id"))?;
        let job = crate::cron::job_from_row(&row)?;
        overlay.cron_jobs.insert((tenant, job.job.id), Some(job));
    }
    for row in cron_runs {
        let tenant: TenantId = parse(row.get("tenant_id"))?;
        let run = crate::cron::run_from_row(&row)?;
        if let Some(session) = run.session_id {
            overlay.run_of_session.insert((tenant, session), run.id);
        }
        overlay.cron_runs.insert((tenant, run.id), run);
    }
    for row in sessions
        .iter()
        .chain(&active_sessions)
        .chain(&run_sessions_rows)
    {
        let tenant: TenantId = parse(row.get("tenant_id"))?;
        let session = crate::sessions::session_from_row(row)?;
        overlay.sessions.insert((tenant, session.id), Some(session));
    }
    for row in webhooks {
        let tenant: TenantId = parse(row.get("tenant_id"))?;
        let webhook = crate::webhooks::webhook_from_row(&row)?;
        overlay.webhooks.entry(tenant).or_default().push(webhook);
    }
    for row in heads {
        overlay
            .heads
            .insert(parse(row.get(0))?, (row.get(1), row.get(2)));
    }
    Ok(overlay)
}
