//! `agenfleet replay`.

use crate::cli::DatabaseArgs;

pub async fn run(database: DatabaseArgs, yes: bool) -> anyhow::Result<()> {
    if !yes {
        crate::cli::confirm(
            "Rebuild every read model from the event log and swap it in?",
            "replay rebuilds every read model",
        )?;
    }
    let log = event_log::connect(database.event_log_url()).await?;
    let report = projector::replay::rebuild(&database.database_url, log, |progress| {
        match (progress.total, progress.eta()) {
            (Some(total), Some(eta)) => eprintln!(
                "replayed {} of {total} records ({:.0} records/s, about {}s left)",
                progress.records,
                progress.rate(),
                eta.as_secs()
            ),
            _ => eprintln!(
                "replayed {} records ({:.0} records/s)",
                progress.records,
                progress.rate()
            ),
        }
    })
    .await?;
    let rate = report.records as f64 / report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "replay applied {} records in {:.2}s ({rate:.0} records/s); read models swapped in",
        report.records,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}
