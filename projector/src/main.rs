use clap::Parser;

#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

/// Consumes the event log, decides each command and builds the read models.
#[derive(Parser)]
#[command(name = "projector", version)]
struct Args {
    #[command(flatten)]
    config: projector::ProjectorConfig,
}

fn main() -> anyhow::Result<()> {
    allocator::give_memory_back();
    ops::runtime::on_half_the_cores()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    ops::telemetry::init();
    let args = Args::parse();
    projector::process::run(args.config, ops::shutdown::shutdown_token()).await
}
