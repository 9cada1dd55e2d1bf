//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use schema::tenant::{Plan, Scope};

#[derive(Debug, Parser)]
#[command(
    name = "agenfleet",
    version,
    about = "Operate an AgenFleet installation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Commands,
}

impl Cli {
    /// The log filter when `RUST_LOG` is unset: `dev` is for a person at a terminal, whose
    /// screen should end with the banner rather than every migration and partition seek.
    pub fn default_log_filter(&self) -> &'static str {
        match self.command {
            Commands::Dev { .. } => crate::dev::DEFAULT_LOG_FILTER,
            _ => ops::telemetry::DEFAULT_FILTER,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the whole system in one process on the embedded default (the log in Postgres).
    ///
    /// Logs only warnings and errors unless RUST_LOG says otherwise (e.g. RUST_LOG=info), and
    /// accepts webhook URLs on this machine unless AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS=false.
    Dev {
        /// Address of the API.
        #[arg(long, env = "AGENFLEET_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the private Postgres and the generated secret key live.
        #[arg(long, default_value = ".agenfleet")]
        data_dir: PathBuf,
        /// Fill the `default` tenant, if it has no agents yet, with a demo fleet and 30 days of
        /// history, and keep a few of its agents working while dev runs.
        #[arg(long)]
        demo: bool,
        /// Custom requests per minute of the `default` tenant, overriding its plan's; set when
        /// dev creates the tenant (the first start on a database).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
        per_minute: Option<u32>,
        /// Custom requests per hour of the `default` tenant, as `--per-minute`.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
        per_hour: Option<u32>,
    },
    /// Apply the SQL migrations to DATABASE_URL (and to a postgres:// EVENT_LOG_URL) and exit.
    Migrate(DatabaseArgs),
    /// Tenants and keys.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// What each partition of the log is doing; pass over a record that stops one.
    Partitions {
        #[command(subcommand)]
        command: PartitionsCommand,
    },
    /// Print the API's OpenAPI document (what `/v1/openapi.json` serves); the SDKs under
    /// `sdks/` are generated from it (scripts/sdk-generate).
    Openapi,
    /// Rebuild every read model from the event log, then swap it in.
    Replay {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Defaults to DATABASE_URL.
    #[arg(long, env = "EVENT_LOG_URL")]
    pub event_log_url: Option<String>,
}

impl DatabaseArgs {
    pub fn event_log_url(&self) -> &str {
        self.event_log_url.as_deref().unwrap_or(&self.database_url)
    }
}

#[derive(Debug, Subcommand)]
pub enum PartitionsCommand {
    /// Per partition: how far it is applied, where the log ends, and for one behind whether
    /// its next record applies or what it fails on (tried in a transaction rolled back).
    Status {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Pass over the record a partition stops at: stored as failed, never applied, noted in
    /// the tenant's activity log and followed by rebuilds.
    Skip {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        partition: u32,
        /// The partition's next record (see `partitions status`).
        #[arg(long)]
        offset: i64,
        /// Why, for the activity log and the projector's log.
        #[arg(long)]
        reason: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a tenant and its first read-write key.
    CreateTenant {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long, value_parser = parse_name)]
        name: String,
        #[arg(long, default_value = "foundation", value_parser = parse_plan)]
        plan: Plan,
        /// Custom requests per minute, overriding the plan.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
        per_minute: Option<u32>,
        /// Custom requests per hour, overriding the plan.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
        per_hour: Option<u32>,
        /// Print one JSON object {"tenantId", "apiKey"}.
        #[arg(long)]
        json: bool,
    },
    /// Create another API key for a tenant.
    CreateKey {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        tenant: schema::TenantId,
        #[arg(long, default_value = "cli", value_parser = parse_name)]
        name: String,
        #[arg(long, default_value = "read-write", value_parser = parse_scope)]
        scope: Scope,
        /// Print one JSON object {"keyId", "apiKey"}.
        #[arg(long)]
        json: bool,
    },
}

/// A tenant or key name, held to the API's rule for names (one line, 1–100 characters).
fn parse_name(text: &str) -> Result<String, String> {
    let mut errors = Vec::new();
    if domain::validate::check_text("name", text, domain::validate::KEY_NAME, &mut errors) {
        Ok(text.to_owned())
    } else {
        Err(errors
            .into_iter()
            .map(|error| error.message)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn parse_plan(text: &str) -> Result<Plan, String> {
    Plan::parse(text).ok_or_else(|| "expected foundation, operational or enterprise".to_owned())
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).ok_or_else(|| "expected read or read-write".to_owned())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Commands::Dev {
            listen,
            data_dir,
            demo,
            per_minute,
            per_hour,
        } => crate::dev::run(listen, data_dir, demo, (per_minute, per_hour)).await,
        Commands::Migrate(database) => {
            crate::migrate::run(&database.database_url, database.event_log_url()).await
        }
        Commands::Admin { command } => crate::admin::run(command).await,
        Commands::Openapi => {
            println!("{}", api::openapi::document());
            Ok(())
        }
        Commands::Replay { database, yes } => crate::replay::run(database, yes).await,
        Commands::Partitions { command } => match command {
            PartitionsCommand::Status { database } => crate::partitions::status(database).await,
            PartitionsCommand::Skip {
                database,
                partition,
                offset,
                reason,
                yes,
            } => crate::partitions::skip(database, partition, offset, reason, yes).await,
        },
    }
}

/// Asks `question` on the terminal and goes on only on "y"; off a terminal, refuses and says
/// to pass `--yes` (`what` says what would have happened).
pub fn confirm(question: &str, what: &str) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{what}; pass --yes to confirm when not on a terminal");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        anyhow::bail!("cancelled");
    }
    Ok(())
}
