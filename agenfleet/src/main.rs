use clap::Parser;

/// Decoding records and encoding rows allocates a great deal; mimalloc made a rebuild 13 %
/// faster than the system allocator (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = agenfleet::Cli::parse();
    ops::telemetry::init_with_default(cli.default_log_filter());
    match agenfleet::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
