//! `agenfleet dev`: the API, the projector, the scheduler and the dispatcher in one process,
//! with the log in Postgres and, when DATABASE_URL is unset, a private Postgres server under
//! the data dir.

use std::path::{Path, PathBuf};
use std::time::Duration;

use api::ApiConfig;
use event_log::ConsumerOptions;
use projector::{Projection, Projector};
use read_store::{tenants, Store, READ_MODEL_SCHEMA};
use scheduler::HeartbeatMonitor;
use schema::tenant::Plan;

use crate::submit::Submitter;

const DEFAULT_TENANT: &str = "default";

fn env_duration(name: &str, default: &str) -> anyhow::Result<Duration> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    ops::duration::parse_duration(&text).map_err(|e| anyhow::anyhow!("{name}={text}: {e}"))
}

/// The operator key that encrypts webhook secrets: AGENFLEET_SECRET_KEY, or one generated once
/// into the data dir.
fn ensure_secret_key(data_dir: &Path) -> anyhow::Result<()> {
    if std::env::var_os("AGENFLEET_SECRET_KEY").is_some() {
        return Ok(());
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
    Ok(())
}

pub async fn run(listen: String, data_dir: PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(&data_dir)?;
    let data_dir = data_dir.canonicalize()?;
    ensure_secret_key(&data_dir)?;
    let (database_url, private_postgres) = match std::env::var("DATABASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            eprintln!(
                "DATABASE_URL is unset: starting a private PostgreSQL under {}",
                data_dir.display()
            );
            let postgres = local_postgres::LocalPostgres::start(&data_dir).await?;
            (postgres.url(), Some(postgres))
        }
    };
    let event_log_url = std::env::var("EVENT_LOG_URL").unwrap_or_else(|_| database_url.clone());
    crate::migrate::run(&database_url, &event_log_url).await?;
    let log = event_log::connect(&event_log_url).await?;
    let shutdown = ops::shutdown::shutdown_token();

    let store = Store::connect(&database_url, READ_MODEL_SCHEMA, 4)?;
    let projector = Projector::new(
        Projection::new(store.clone()),
        log.clone(),
        ConsumerOptions::default(),
    );
    let projector = tokio::spawn(projector.run(shutdown.clone()));
    let monitor = HeartbeatMonitor::new(
        store.clone(),
        log.clone(),
        env_duration("AGENFLEET_AGENT_OFFLINE_AFTER", "90s")?,
    );
    let monitor = tokio::spawn(monitor.run(shutdown.clone()));

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
    };
    let running = api::serve(config, log.clone(), shutdown.clone()).await?;
    let base = format!("http://{}", running.addr);

    let client = store.client().await?;
    let existing = tenants::by_name(&client, DEFAULT_TENANT).await?;
    drop(client);
    let key_line = match existing {
        Some(tenant) => format!(
            "tenant `{DEFAULT_TENANT}` ({tenant}) exists; its first key was printed when it was created.\n  \
             New key: agenfleet admin create-key --tenant {tenant}  (with DATABASE_URL={database_url})"
        ),
        None => {
            let submitter = Submitter::new(&database_url, log.clone())?;
            let (tenant, key) =
                crate::admin::create_tenant(&submitter, DEFAULT_TENANT, Plan::Enterprise, None, None).await?;
            format!("tenant `{DEFAULT_TENANT}` ({tenant}) created. Its read-write key (shown once):\n\n  {}\n", key.api_key)
        }
    };
    println!(
        "\nAgenFleet is running.\n\n  API:      {base}/v1\n  Database: {database_url}\n  {key_line}\n\
         Try it:\n  export AGENFLEET_KEY=<the key>\n  \
         curl -s -X POST {base}/v1/agents -H \"Authorization: Bearer $AGENFLEET_KEY\" \
         -H 'Content-Type: application/json' -d '{{\"name\":\"Nova\"}}'\n  \
         curl -s {base}/v1/agents -H \"Authorization: Bearer $AGENFLEET_KEY\"\n\nCtrl-C stops everything.\n"
    );

    shutdown.cancelled().await;
    eprintln!("stopping…");
    let _ = running.task.await;
    let _ = projector.await;
    let _ = monitor.await;
    if let Some(postgres) = private_postgres {
        postgres.stop().await?;
    }
    Ok(())
}
