use clap::Parser;

/// Fires cron jobs and notices silent agents.
#[derive(Parser)]
#[command(name = "scheduler", version)]
struct Args {
    #[command(flatten)]
    config: scheduler::SchedulerConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ops::telemetry::init();
    let args = Args::parse();
    scheduler::process::run(args.config, ops::shutdown::shutdown_token()).await
}
