use clap::Parser;

/// The AgenFleet REST API.
#[derive(Parser)]
#[command(name = "api", version)]
struct Args {
    #[command(flatten)]
    config: api::ApiConfig,
}

fn main() -> anyhow::Result<()> {
    ops::runtime::on_half_the_cores()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    ops::telemetry::init();
    let args = Args::parse();
    let log =
        event_log::connect_beside(args.config.event_log_url(), &args.config.database_url).await?;
    let running = api::serve(args.config, log, ops::shutdown::shutdown_token()).await?;
    running.task.await??;
    Ok(())
}
