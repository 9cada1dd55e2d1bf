//! Loading what a batch needs in one pipelined round trip of set queries.

use deadpool_postgres::Transaction;
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

/// Fills an overlay with the facts `wanted` names, as stored before the batch.
pub async fn load(tx: &Transaction<'_>, wanted: &Wanted) -> Result<Overlay, StoreError> {
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

    let decided = tx
        .prepare_cached("SELECT command_id FROM command_outcomes WHERE command_id = ANY($1)")
        .await?;
    let known_tenants = tx
        .prepare_cached("SELECT id FROM tenants WHERE id = ANY($1)")
        .await?;
    let agents = tx.prepare_cached(&crate::agents::STATE_BY_IDS).await?;
    let names = tx
        .prepare_cached(
            "SELECT a.tenant_id, a.name_key, a.id FROM agents a
             JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, name_key)
               ON a.tenant_id = w.tenant_id AND a.name_key = w.name_key",
        )
        .await?;
    let keys = tx
        .prepare_cached(
            "SELECT tenant_id, id, revoked_at IS NOT NULL FROM api_keys WHERE id = ANY($1)",
        )
        .await?;
    let heads = tx
        .prepare_cached(
            "SELECT tenant_id, last_sequence, last_hash FROM activity_heads WHERE tenant_id = ANY($1)",
        )
        .await?;

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
        (decided, known_tenants, agents, names, keys, heads, sessions, active_sessions, webhooks),
        (cron_runs, cron_jobs, run_sessions_rows),
    ) = futures::try_join!(
        async {
            futures::try_join!(
                tx.query(&decided, p_commands),
                tx.query(&known_tenants, p_tenants),
                tx.query(&agents, p_agents),
                tx.query(&names, p_names),
                tx.query(&keys, p_keys),
                tx.query(&heads, p_tenants),
                tx.query(&sessions, p_sessions),
                tx.query(&active_sessions, p_active),
                tx.query(&webhooks, p_tenants),
            )
        },
        async {
            // Planned afresh on every execution (custom plans): skipped when no record of the
            // batch touches cron.
            if !wants_cron {
                return Ok((Vec::new(), Vec::new(), Vec::new()));
            }
            futures::try_join!(
                tx.query(&cron_runs, p_runs),
                tx.query(&cron_jobs, p_jobs),
                tx.query(&run_sessions_query, p_run_ids),
            )
        },
    )?;

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
