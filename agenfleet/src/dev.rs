//! `agenfleet dev`: the API, the projector, the scheduler and the dispatcher in one process,
//! with the log in Postgres and, when DATABASE_URL is unset, a private Postgres server under
//! the data dir. With `--demo`, the `default` tenant gets a demo fleet (see `demo`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use api::ApiConfig;
use event_log::{ConsumerOptions, EventLog};
use projector::{Projection, Projector};
use read_store::{tenants, Store, READ_MODEL_SCHEMA};
use scheduler::HeartbeatMonitor;
use schema::tenant::Plan;
use schema::TenantId;
use tokio_util::sync::CancellationToken;
use webhook_dispatcher::{Dispatcher, DispatcherConfig};

use crate::banner::Banner;
use crate::submit::Submitter;

const DEFAULT_TENANT: &str = "default";
/// Deliveries in flight at once (the `webhook-dispatcher` process's default).
const DISPATCHER_CONCURRENCY: usize = 256;

/// `dev`'s log filter when RUST_LOG is unset: warnings and errors only. Its start-up (every
/// migration, every partition's seek) is routine, and the banner must be the last thing seen.
pub const DEFAULT_LOG_FILTER: &str = "warn";

fn env_duration(name: &str, default: &str) -> anyhow::Result<Duration> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    ops::duration::parse_duration(&text).map_err(|e| anyhow::anyhow!("{name}={text}: {e}"))
}

/// The operator key that encrypts webhook secrets: AGENFLEET_SECRET_KEY, or one generated once
/// into the data dir.
fn ensure_secret_key(data_dir: &Path) -> anyhow::Result<String> {
    if let Ok(key) = std::env::var("AGENFLEET_SECRET_KEY") {
        return Ok(key);
    }
    let path = data_dir.join("secret-key");
    if !path.exists() {
        use base64::Engine;
        let bytes: [u8; 32] = rand::random();
        std::fs::write(
            &path,
            base64::engine::general_purpose::STANDARD.encode(bytes),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(std::fs::read_to_string(&path)?.trim().to_owned())
}

/// `true` when the variable says `true`; `default` when it is unset.
fn env_flag(name: &str, default: bool) -> bool {
    std::env::var(name).map_or(default, |value| value == "true")
}

/// Whether webhooks may target this machine and private networks. `dev` runs on a
/// developer's machine, where the receivers one tries are local, so unless the variable says
/// otherwise it allows them (the processes run in production refuse them by default).
fn allow_private_targets() -> bool {
    env_flag("AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS", true)
}

/// `limits`: the `default` tenant's custom requests per minute and per hour, if it is created.
pub async fn run(
    listen: String,
    data_dir: PathBuf,
    demo: bool,
    limits: (Option<u32>, Option<u32>),
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&data_dir)?;
    let data_dir = data_dir.canonicalize()?;
    let secret_key = ensure_secret_key(&data_dir)?;
    let (database_url, private_postgres) = match std::env::var("DATABASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            eprintln!(
                "Starting a private PostgreSQL under {} (DATABASE_URL is unset)…",
                data_dir.display()
            );
            let postgres = local_postgres::LocalPostgres::start(&data_dir).await?;
            (postgres.url(), Some(postgres))
        }
    };
    let event_log_url = std::env::var("EVENT_LOG_URL").unwrap_or_else(|_| database_url.clone());
    for label in crate::migrate::apply(&database_url, &event_log_url).await? {
        tracing::debug!(migration = %label, "applied");
    }
    let log = event_log::connect_beside(&event_log_url, &database_url).await?;
    let shutdown = ops::shutdown::shutdown_token();
    let config = ApiConfig {
        database_url: database_url.clone(),
        event_log_url: Some(event_log_url.clone()),
        listen,
        command_timeout: env_duration("AGENFLEET_COMMAND_TIMEOUT", "10s")?,
        model_catalog: std::env::var_os("AGENFLEET_MODEL_CATALOG").map(PathBuf::from),
        workers: Some(2),
        db_pool: 16,
        shutdown_timeout: env_duration("AGENFLEET_SHUTDOWN_TIMEOUT", "30s")?,
        rate_limits: std::env::var("AGENFLEET_RATE_LIMITS").map_or(true, |v| v != "false"),
        cors_origins: std::env::var("AGENFLEET_CORS_ORIGINS")
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        secret_key: Some(secret_key.clone()),
        allow_private_targets: allow_private_targets(),
    };
    let offline_after = env_duration("AGENFLEET_AGENT_OFFLINE_AFTER", "90s")?;

    // Every task is cancelled by `shutdown` and awaited before the database goes.
    let mut tasks: Vec<(&str, tokio::task::JoinHandle<()>)> = Vec::new();
    // A pool for each role, sized as in its own process: a busy projector cannot keep the
    // scheduler's scans or the dispatcher's claims waiting for a connection, nor they it.
    let stores = RoleStores::connect(&database_url)?;
    // One registry for every role: the API's /metrics shows all of them.
    let metrics = ops::Metrics::for_roles(
        &["api", "projector", "scheduler", "webhook-dispatcher"],
        event_log::backend_name(&event_log_url)?,
    );
    stores.watch(&metrics);
    let projector = Projector::with_metrics(
        Projection::new(stores.projector.clone()),
        log.clone(),
        ConsumerOptions::default(),
        &metrics,
    );
    let projector = projector.run(shutdown.clone());
    tasks.push((
        "projector",
        tokio::spawn(async move {
            let _ = projector.await;
        }),
    ));

    // The default tenant (and with --demo its fleet) before the workers and the API: a client
    // that sees the API up sees all of it, and no scheduler acts on the demo's past meanwhile.
    let (tenant, new_key) = default_tenant(&stores.scheduler, &database_url, &log, limits).await?;
    let (demo_line, motion) = if demo {
        let settings = crate::demo::Settings {
            seed: crate::demo::SEED,
            catalog: config.catalog()?,
            secret_key: Some(secret_key.clone()),
            allow_private_targets: config.allow_private_targets,
        };
        start_demo(
            &stores.scheduler,
            &database_url,
            &log,
            tenant,
            settings,
            offline_after,
            &shutdown,
        )
        .await?
    } else {
        (None, None)
    };
    if shutdown.is_cancelled() {
        return stop(tasks, (stores, log), private_postgres, &data_dir).await;
    }

    let monitor = HeartbeatMonitor::with_metrics(
        stores.scheduler.clone(),
        log.clone(),
        offline_after,
        &metrics,
    );
    tasks.push(("monitor", tokio::spawn(monitor.run(shutdown.clone()))));
    let cron = scheduler::CronScheduler::with_metrics(
        stores.scheduler.clone(),
        log.clone(),
        scheduler::CronSettings {
            catchup_window: env_duration("AGENFLEET_CRON_CATCHUP_WINDOW", "5m")?,
            run_timeout: env_duration("AGENFLEET_CRON_RUN_TIMEOUT", "10m")?,
        },
        &metrics,
    );
    let retention = scheduler::RetentionSettings {
        deliveries: env_duration("AGENFLEET_RETENTION_DELIVERIES", "30d")?,
        outcomes: env_duration("AGENFLEET_RETENTION_OUTCOMES", "7d")?,
        every: env_duration("AGENFLEET_RETENTION_INTERVAL", "1h")?,
    };
    retention.validate()?;
    let retention = scheduler::Retention::new(stores.scheduler.clone(), retention, &metrics);
    tasks.push(("retention", tokio::spawn(retention.run(shutdown.clone()))));
    // One LISTEN connection for the scheduler, the dispatcher and the API (started below, once
    // all three are on it): each listening connection slows every notifying commit.
    let mut listener = read_store::listener::Shared::default();
    let jobs_changed = scheduler::process::wake_on_job_changes_through(&mut listener);
    tasks.push((
        "cron",
        tokio::spawn(cron.run(jobs_changed, shutdown.clone())),
    ));
    let dispatcher_config = DispatcherConfig {
        database_url: database_url.clone(),
        event_log_url: Some(event_log_url.clone()),
        admin_listen: "127.0.0.1:0".to_owned(),
        retry_schedule: ops::duration::parse_duration_list(
            &std::env::var("AGENFLEET_WEBHOOK_RETRY_SCHEDULE")
                .unwrap_or_else(|_| "5s,5m,30m,2h,5h,10h,10h".to_owned()),
        )?,
        timeout: env_duration("AGENFLEET_WEBHOOK_TIMEOUT", "15s")?,
        disable_after: env_duration("AGENFLEET_WEBHOOK_DISABLE_AFTER", "5d")?,
        allow_private_targets: allow_private_targets(),
        secret_key: Some(secret_key),
        concurrency: DISPATCHER_CONCURRENCY,
        concurrency_per_target: 16,
        telegram_api_base: std::env::var("AGENFLEET_TELEGRAM_API_BASE")
            .unwrap_or_else(|_| "https://api.telegram.org".to_owned()),
        telegram_bot_token: std::env::var("AGENFLEET_TELEGRAM_BOT_TOKEN").ok(),
        smtp_url: std::env::var("AGENFLEET_SMTP_URL").ok(),
        smtp_from: std::env::var("AGENFLEET_SMTP_FROM")
            .unwrap_or_else(|_| "AgenFleet <agenfleet@localhost>".to_owned()),
        shutdown_timeout: env_duration("AGENFLEET_SHUTDOWN_TIMEOUT", "30s")?,
    };
    let dispatcher = Dispatcher::new(
        stores.dispatcher.clone(),
        log.clone(),
        webhook_dispatcher::process::keyring(&dispatcher_config)?,
        webhook_dispatcher::process::settings(&dispatcher_config),
        &metrics,
    )?;
    let due = webhook_dispatcher::process::listen_for_deliveries_through(&mut listener);
    let dispatcher = dispatcher.run(due, shutdown.clone(), dispatcher_config.shutdown_timeout);
    tasks.push(("dispatcher", tokio::spawn(dispatcher)));
    if let Some(motion) = motion {
        tasks.push(("demo", tokio::spawn(motion.run(shutdown.clone()))));
    }

    let running = api::serve_through(
        config,
        log.clone(),
        shutdown.clone(),
        metrics,
        &mut listener,
    )
    .await?;
    tasks.push((
        "listener",
        tokio::spawn(listener.listen(database_url.clone(), shutdown.clone().cancelled_owned())),
    ));
    let origin = format!("http://{}", running.addr);
    let api_task = running.task;
    tasks.insert(
        0,
        (
            "api",
            tokio::spawn(async move {
                let _ = api_task.await;
            }),
        ),
    );
    let private_url = private_postgres.as_ref().map(|postgres| postgres.url());
    let banner = Banner {
        origin: &origin,
        private_postgres: private_url.as_deref().map(|url| (url, data_dir.as_path())),
        tenant_name: DEFAULT_TENANT,
        tenant,
        new_key: new_key.as_deref(),
        demo: demo_line.as_deref(),
        cli: &crate::banner::cli_command(),
    };
    println!("{banner}");

    shutdown.cancelled().await;
    stop(tasks, (stores, log), private_postgres, &data_dir).await
}

/// The read store's pools of the roles `dev` runs besides the API (which has its own).
struct RoleStores {
    projector: Store,
    /// Also the start-up's and the demo's.
    scheduler: Store,
    dispatcher: Store,
}

impl RoleStores {
    fn connect(database_url: &str) -> anyhow::Result<Self> {
        let connect = |size| Store::connect(database_url, READ_MODEL_SCHEMA, size);
        Ok(Self {
            projector: connect(projector::process::POOL_SIZE)?,
            scheduler: connect(scheduler::process::POOL_SIZE)?,
            dispatcher: connect(webhook_dispatcher::process::pool_size(
                DISPATCHER_CONCURRENCY,
            ))?,
        })
    }

    /// Each pool's gauges under its role's name, as the separate processes export them.
    fn watch(&self, metrics: &ops::Metrics) {
        signals::watch_pool(metrics, "projector", vec![self.projector.clone()]);
        signals::watch_pool(metrics, "scheduler", vec![self.scheduler.clone()]);
        signals::watch_pool(metrics, "webhook-dispatcher", vec![self.dispatcher.clone()]);
    }
}

/// The `default` tenant, created with its first key (returned) on the first start.
async fn default_tenant(
    store: &Store,
    database_url: &str,
    log: &Arc<dyn EventLog>,
    (per_minute, per_hour): (Option<u32>, Option<u32>),
) -> anyhow::Result<(TenantId, Option<String>)> {
    let client = store.client().await?;
    let existing = tenants::by_name(&client, DEFAULT_TENANT).await?;
    drop(client);
    if let Some(tenant) = existing {
        return Ok((tenant, None));
    }
    let submitter = Submitter::new(database_url, log.clone())?;
    let (tenant, key) = crate::admin::create_tenant(
        &submitter,
        DEFAULT_TENANT,
        Plan::Enterprise,
        per_minute,
        per_hour,
    )
    .await?;
    Ok((tenant, Some(key.api_key)))
}

/// Seeds the demo into `tenant` unless it has agents, says in one line what it did, and wakes
/// the demo agents (heartbeats now, before the monitor could find them silent). Returns the
/// banner's line about the demo and the task that keeps it moving.
async fn start_demo(
    store: &Store,
    database_url: &str,
    log: &Arc<dyn EventLog>,
    tenant: TenantId,
    settings: crate::demo::Settings,
    offline_after: Duration,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Option<String>, Option<crate::demo::Motion>)> {
    use crate::demo::Seeding;
    let submitter = Submitter::new(database_url, log.clone())?;
    let now = chrono::Utc::now();
    let seeding = crate::demo::seed(&submitter, store, tenant, &settings, now, shutdown).await?;
    let seeded = match seeding {
        Seeding::Seeded(summary) => {
            eprintln!("{}", summary.describe(DEFAULT_TENANT));
            Some(summary.agents)
        }
        Seeding::AlreadySeeded { agents } => {
            eprintln!(
                "Demo: tenant `{DEFAULT_TENANT}` already has {agents} agents; nothing seeded (a fresh --data-dir or database starts over)."
            );
            None
        }
        Seeding::Interrupted => {
            eprintln!(
                "Demo: seeding interrupted; tenant `{DEFAULT_TENANT}` holds part of the demo (a fresh --data-dir or database starts over)."
            );
            return Ok((None, None));
        }
    };
    drop(submitter);
    let mut motion = crate::demo::Motion::new(
        Submitter::new(database_url, log.clone())?,
        store.clone(),
        tenant,
        settings.catalog,
        offline_after,
    );
    let live = motion.wake().await?;
    let line = match (seeded, live) {
        (Some(agents), _) => format!(
            "Demo: tenant `{DEFAULT_TENANT}` now holds {agents} agents with {} days of history; a few of them keep working while dev runs.",
            crate::demo::DAYS
        ),
        (None, 0) => format!(
            "Demo: tenant `{DEFAULT_TENANT}` has agents of its own and none of the demo's; nothing to keep moving."
        ),
        (None, _) => format!(
            "Demo: {live} demo agents of tenant `{DEFAULT_TENANT}` keep working while dev runs."
        ),
    };
    Ok((Some(line), Some(motion)))
}

/// Waits for every task, closes the pools, and stops the private Postgres, if any.
async fn stop(
    tasks: Vec<(&str, tokio::task::JoinHandle<()>)>,
    pools: (RoleStores, Arc<dyn EventLog>),
    private_postgres: Option<local_postgres::LocalPostgres>,
    data_dir: &Path,
) -> anyhow::Result<()> {
    eprint!("Stopping… ");
    for (name, task) in tasks {
        if let Err(error) = task.await {
            tracing::debug!(task = name, %error, "task ended abnormally");
        }
    }
    // Every pool is closed before the server goes: a connection the server ends is logged by
    // the pool as an error.
    drop(pools);
    if let Some(postgres) = private_postgres {
        postgres.stop().await?;
        eprintln!("stopped. The data stays in {}.", data_dir.display());
    } else {
        eprintln!("stopped.");
    }
    Ok(())
}
