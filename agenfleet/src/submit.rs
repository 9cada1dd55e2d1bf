//! Appending commands from the CLI and waiting for the projector's decision.

use std::sync::Arc;
use std::time::Duration;

use api::outcome_waiter::OutcomeWaiter;
use event_log::EventLog;
use read_store::outcomes::Outcome;
use read_store::{Store, READ_MODEL_SCHEMA};
use schema::CommandRecord;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A log and a way to wait for outcomes.
pub struct Submitter {
    log: Arc<dyn EventLog>,
    waiter: OutcomeWaiter,
    _listener: tokio_util::sync::DropGuard,
}

impl Submitter {
    pub fn new(database_url: &str, log: Arc<dyn EventLog>) -> anyhow::Result<Self> {
        let store = Store::connect(database_url, READ_MODEL_SCHEMA, 2)?;
        let stop = CancellationToken::new();
        let waiter = OutcomeWaiter::start(
            database_url.to_owned(),
            store,
            log.partitions(),
            stop.clone(),
        );
        Ok(Self {
            log,
            waiter,
            _listener: stop.drop_guard(),
        })
    }

    /// Appends the records in order and waits until each is accepted.
    pub async fn submit(&self, records: &[CommandRecord]) -> anyhow::Result<()> {
        let mut positions = Vec::new();
        for record in records {
            positions.push(self.log.append(record).await?);
        }
        for (record, position) in records.iter().zip(positions) {
            let deadline = tokio::time::Instant::now() + TIMEOUT;
            let decided = self
                .waiter
                .wait(record.command_id, position, deadline)
                .await?;
            match decided.map(|decided| decided.outcome) {
                Some(Outcome::Accepted) => {}
                Some(Outcome::Rejected(rejection)) => {
                    anyhow::bail!("{} was rejected: {} ({})", record.command.kind(), rejection.message, rejection.code.as_str())
                }
                None => anyhow::bail!(
                    "{} was appended to the log but not applied within {TIMEOUT:?}: is a projector running?",
                    record.command.kind()
                ),
            }
        }
        Ok(())
    }
}
