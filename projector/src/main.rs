use clap::Parser;

/// Consumes the event log, decides each command and builds the read models.
#[derive(Parser)]
#[command(name = "projector", version)]
struct Args {
    #[command(flatten)]
    config: projector::ProjectorConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ops::telemetry::init();
    let args = Args::parse();
    projector::process::run(args.config, ops::shutdown::shutdown_token()).await
}
