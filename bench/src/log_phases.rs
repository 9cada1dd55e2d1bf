//! The log phases: appending a history straight to the log (with the live projector applying
//! it, or a fresh one catching up on it as a backlog) and `agenfleet replay`'s rebuild of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use schema::agent::AgentConfig;
use schema::command::{CreateAgent, CreateTenant, RecordHeartbeat};
use schema::tenant::Plan;
use schema::{Actor, AgentId, Command, CommandRecord, TenantId};

use crate::proc_stats;

/// 100 tenants, then agent creations and heartbeats spread over them.
fn history(records: usize) -> Vec<CommandRecord> {
    let actor = Actor::system("bench");
    let tenants: Vec<TenantId> = (0..100).map(|_| TenantId::new()).collect();
    let mut out: Vec<CommandRecord> = tenants
        .iter()
        .map(|tenant| {
            let create = CreateTenant {
                name: "bench".into(),
                plan: Plan::Enterprise,
                limits: Default::default(),
            };
            CommandRecord::new(*tenant, actor.clone(), Command::CreateTenant(create))
        })
        .collect();
    let mut agents: Vec<(TenantId, AgentId)> = Vec::new();
    let mut i = 0usize;
    while out.len() < records {
        let tenant = tenants[i % tenants.len()];
        if i.is_multiple_of(2) || agents.is_empty() {
            let agent_id = AgentId::new();
            agents.push((tenant, agent_id));
            let create = CreateAgent {
                agent_id,
                name: format!("agent-{i}"),
                role: None,
                description: None,
                soul: None,
                config: AgentConfig::default(),
                gateway_secret: None,
            };
            out.push(CommandRecord::new(
                tenant,
                actor.clone(),
                Command::CreateAgent(create),
            ));
        } else {
            let (tenant, agent_id) = agents[i % agents.len()];
            let beat = RecordHeartbeat {
                agent_id,
                state: Default::default(),
                latency_ms: Some(5),
                detail: None,
            };
            out.push(CommandRecord::new(
                tenant,
                actor.clone(),
                Command::RecordHeartbeat(beat),
            ));
        }
        i += 1;
    }
    out
}

pub(crate) async fn decided(database_url: &str) -> anyhow::Result<i64> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client
        .query_one("SELECT count(*) FROM readmodel.command_outcomes", &[])
        .await?
        .get(0))
}

/// Appends `records[range]` to the log, in order, with `concurrency` appends in flight.
pub(crate) async fn append_range(
    log: &Arc<dyn event_log::EventLog>,
    records: &Arc<Vec<CommandRecord>>,
    range: std::ops::Range<usize>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
    let tasks = (0..concurrency).map(|_| {
        let (log, records, next) = (log.clone(), records.clone(), next.clone());
        let end = range.end.min(records.len());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, anyhow::Error>(());
                }
                log.append(&records[i]).await?;
            }
        })
    });
    for task in futures::future::join_all(tasks).await {
        task??;
    }
    Ok(())
}

pub(crate) async fn append(
    database_url: String,
    event_log_url: String,
    records: usize,
    concurrency: usize,
    backlog_projector: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let log = event_log::connect(&event_log_url).await?;
    let before = decided(&database_url).await?;
    let history = Arc::new(history(records));
    let started = Instant::now();
    // Tenants first, so every agent creation finds its tenant.
    append_range(&log, &history, 0..100, 1).await?;
    append_range(&log, &history, 100..history.len(), concurrency).await?;
    let appended = started.elapsed();
    println!(
        "append  records={records} seconds={:.2} records/s={:.0}",
        appended.as_secs_f64(),
        records as f64 / appended.as_secs_f64()
    );
    if let Some(projector) = backlog_projector {
        return catch_up(&projector, &database_url, before + records as i64).await;
    }
    loop {
        let done = decided(&database_url).await? - before;
        if done >= records as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let applied = started.elapsed();
    println!(
        "live projector  records={records} seconds={:.2} records/s={:.0} (from first append to last applied)",
        applied.as_secs_f64(),
        records as f64 / applied.as_secs_f64()
    );
    Ok(())
}

/// Starts the projector on a backlog and waits until `target` commands are decided, sampling its
/// memory; stops it with SIGTERM after.
async fn catch_up(
    projector: &std::path::Path,
    database_url: &str,
    target: i64,
) -> anyhow::Result<()> {
    let backlog = target - decided(database_url).await?;
    let mut child = tokio::process::Command::new(projector)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| anyhow::anyhow!("starting {}: {error}", projector.display()))?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow::anyhow!("the projector exited at once"))?;
    let ticks = proc_stats::clock_ticks();
    let (started, first) = (Instant::now(), proc_stats::sample(pid, ticks)?);
    let mut last = first;
    while decided(database_url).await? < target {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the projector exited during the catch-up: {status}");
        }
        last = proc_stats::sample(pid, ticks)?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "backlog catch-up  records={backlog} seconds={seconds:.2} records/s={:.0} projector peak RSS={:.1} MiB CPU={:.0}%",
        backlog as f64 / seconds,
        last.peak_rss_mib,
        last.cpu_percent_since(&first),
    );
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    child.wait().await?;
    Ok(())
}

pub(crate) async fn replay(database_url: String, event_log_url: String) -> anyhow::Result<()> {
    let log = event_log::connect(&event_log_url).await?;
    let report = projector::replay::rebuild(&database_url, log, |progress| {
        eprintln!(
            "  … {} records ({:.0}/s)",
            progress.records,
            progress.rate()
        );
    })
    .await?;
    println!(
        "replay  records={} seconds={:.2} records/s={:.0}",
        report.records,
        report.elapsed.as_secs_f64(),
        report.records as f64 / report.elapsed.as_secs_f64()
    );
    Ok(())
}
