//! `churn`: commands sent one after another by many clients while the projector is killed
//! (SIGKILL) and started again every few seconds: how long the whole set takes, and a check that
//! every command was applied exactly once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_log::EventLog;
use schema::agent::AgentConfig;
use schema::command::{CreateAgent, CreateTenant};
use schema::tenant::Plan;
use schema::{Actor, AgentId, Command, CommandId, CommandRecord, TenantId};

#[derive(clap::Args)]
pub struct ChurnBench {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long, env = "EVENT_LOG_URL")]
    event_log_url: String,
    /// The `projector` binary, run as a child process (with this process's environment),
    /// killed with SIGKILL and started again every `kill_every`.
    #[arg(long)]
    projector_bin: PathBuf,
    #[arg(long, default_value_t = 2_000)]
    commands: usize,
    /// Clients, each a tenant of its own sending one command after another.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    #[arg(long, default_value = "2s", value_parser = ops::duration::parse_duration)]
    kill_every: Duration,
    /// Stop there and say how many commands were applied.
    #[arg(long, default_value = "10m", value_parser = ops::duration::parse_duration)]
    give_up_after: Duration,
}

/// How often a client looks for its command's outcome.
const POLL: Duration = Duration::from_millis(5);

pub async fn churn(bench: ChurnBench) -> anyhow::Result<()> {
    let log = event_log::connect(&bench.event_log_url).await?;
    let db = connect(&bench.database_url).await?;
    let actor = Actor::system("bench");
    let tenants: Vec<TenantId> = (0..bench.clients).map(|_| TenantId::new()).collect();
    let mut projector = spawn(&bench.projector_bin)?;
    for tenant in &tenants {
        let create = CreateTenant {
            name: "churn".into(),
            plan: Plan::Enterprise,
            limits: Default::default(),
        };
        let record = CommandRecord::new(*tenant, actor.clone(), Command::CreateTenant(create));
        log.append(&record).await?;
        if let Err(error) = wait_decided(&db, record.command_id, bench.give_up_after).await {
            projector.kill().await?;
            println!(
                "churn  gave up before the first kill: the tenants were not created ({error})"
            );
            return Ok(());
        }
    }

    let done = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let per_client = bench.commands.div_ceil(bench.clients);
    let clients: Vec<_> = tenants
        .iter()
        .map(|tenant| {
            let (log, url, tenant, actor) = (
                log.clone(),
                bench.database_url.clone(),
                *tenant,
                actor.clone(),
            );
            tokio::spawn(async move { client(log, url, tenant, actor, per_client).await })
        })
        .collect();
    let aborts: Vec<_> = clients.iter().map(|c| c.abort_handle()).collect();
    let killer = {
        let done = done.clone();
        let bin = bench.projector_bin.clone();
        async move {
            let mut kills = 0u32;
            // Until the clients are done (a stored permit: never missed).
            while tokio::time::timeout(bench.kill_every, done.notified())
                .await
                .is_err()
            {
                projector.kill().await?;
                projector = spawn(&bin)?;
                kills += 1;
            }
            Ok::<_, anyhow::Error>((projector, kills))
        }
    };
    let sending = async {
        let results =
            tokio::time::timeout(bench.give_up_after, futures::future::join_all(clients)).await;
        done.notify_one();
        results
    };
    let (results, killed) = tokio::join!(sending, killer);
    let seconds = started.elapsed().as_secs_f64();
    let (mut projector, kills) = killed?;
    let settings = format!(
        "clients={} kill_every={:.1}s kills={kills} instance_id={}",
        tenants.len(),
        bench.kill_every.as_secs_f64(),
        std::env::var("AGENFLEET_PROJECTOR_INSTANCE_ID").unwrap_or("none".into()),
    );
    let tenant_ids: Vec<String> = tenants.iter().map(ToString::to_string).collect();
    let Ok(results) = results else {
        aborts.iter().for_each(|client| client.abort());
        projector.kill().await?;
        let applied = agents_of(&db, &tenant_ids).await?;
        println!(
            "churn  {settings} gave up after {seconds:.0}s with {applied} of {} commands applied",
            per_client * tenants.len()
        );
        return Ok(());
    };
    let mut slowest = Duration::ZERO;
    for result in results {
        slowest = slowest.max(result??);
    }
    projector.kill().await?;

    // Exactly once: each tenant has as many agents as it sent creations.
    let sent = (per_client * tenants.len()) as i64;
    let agents = agents_of(&db, &tenant_ids).await?;
    anyhow::ensure!(
        agents == sent,
        "{agents} agents for {sent} creations: lost or doubled"
    );
    println!(
        "churn  commands={sent} {settings} seconds={seconds:.1} commands/s={:.0} slowest command={:.1}s applied exactly once=yes",
        sent as f64 / seconds,
        slowest.as_secs_f64(),
    );
    Ok(())
}

async fn agents_of(db: &tokio_postgres::Client, tenants: &[String]) -> anyhow::Result<i64> {
    Ok(db
        .query_one(
            "SELECT count(*) FROM readmodel.agents WHERE tenant_id = ANY($1)",
            &[&tenants],
        )
        .await?
        .get(0))
}

/// Sends `count` agent creations of `tenant` one after another, each once its predecessor is
/// decided; returns the longest wait for one.
async fn client(
    log: Arc<dyn EventLog>,
    database_url: String,
    tenant: TenantId,
    actor: Actor,
    count: usize,
) -> anyhow::Result<Duration> {
    let db = connect(&database_url).await?;
    let mut slowest = Duration::ZERO;
    for i in 0..count {
        let create = CreateAgent {
            agent_id: AgentId::new(),
            name: format!("churn-{i}"),
            role: None,
            description: None,
            soul: None,
            config: AgentConfig::default(),
            gateway_secret: None,
        };
        let record = CommandRecord::new(tenant, actor.clone(), Command::CreateAgent(create));
        let sent = Instant::now();
        log.append(&record).await?;
        wait_decided(&db, record.command_id, Duration::from_secs(600)).await?;
        slowest = slowest.max(sent.elapsed());
    }
    Ok(slowest)
}

async fn wait_decided(
    db: &tokio_postgres::Client,
    command: CommandId,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let id = command.to_string();
    loop {
        let found = db
            .query_opt(
                "SELECT 1 FROM readmodel.command_outcomes WHERE command_id = $1",
                &[&id],
            )
            .await?;
        if found.is_some() {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "command {id} not decided within {timeout:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

fn spawn(bin: &std::path::Path) -> anyhow::Result<tokio::process::Child> {
    tokio::process::Command::new(bin)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or("warn".into()),
        )
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| anyhow::anyhow!("starting {}: {error}", bin.display()))
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}
