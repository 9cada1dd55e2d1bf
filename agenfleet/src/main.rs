use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    ops::telemetry::init();
    match agenfleet::run(agenfleet::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
