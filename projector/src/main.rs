use clap::Parser;

/// Decoding records and encoding rows allocates a great deal; mimalloc made a rebuild 13 %
/// faster than the system allocator (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
