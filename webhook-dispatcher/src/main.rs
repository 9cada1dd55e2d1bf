use clap::Parser;

/// Delivers signed webhooks with retries.
#[derive(Parser)]
#[command(name = "webhook-dispatcher", version)]
struct Args {
    #[command(flatten)]
    config: webhook_dispatcher::DispatcherConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ops::telemetry::init();
    let args = Args::parse();
    webhook_dispatcher::run(args.config, ops::shutdown::shutdown_token()).await
}
