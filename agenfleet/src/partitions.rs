//! `agenfleet partitions`: what each partition of the log is doing, and the operator's way past
//! a record that stops one.

use event_log::LogEntry;
use projector::Projection;
use read_store::{projection, Store, READ_MODEL_SCHEMA};
use schema::command::{Command, RecordSkip};
use schema::{Actor, CommandRecord};

use crate::cli::DatabaseArgs;

/// Prints, per partition, how far it is applied and where the log ends; for a partition
/// behind, applies its next record in a transaction that is rolled back and prints whether it
/// applies or what it fails on.
pub async fn status(database: DatabaseArgs) -> anyhow::Result<()> {
    let log = event_log::connect(database.event_log_url()).await?;
    let projection = Projection::new(Store::connect(
        &database.database_url,
        READ_MODEL_SCHEMA,
        2,
    )?);
    let ends = log.end_offsets().await?;
    let partitions: Vec<u32> = (0..log.partitions()).collect();
    let client = projection.store().client().await?;
    let checkpoints = projection::checkpoints(&client, &partitions).await?;
    drop(client);
    for (partition, checkpoint) in checkpoints {
        let next = checkpoint.map_or(0, |offset| offset + 1);
        let end = ends.get(partition as usize).copied().unwrap_or(0);
        let applied = match checkpoint {
            Some(offset) => format!("applied through offset {offset}"),
            None => "nothing applied".to_owned(),
        };
        if next >= end {
            println!("partition {partition}: {applied}; up to date (the log ends at {end})");
            continue;
        }
        println!(
            "partition {partition}: {applied}; {} behind (the log ends at {end})",
            end - next
        );
        let Some(entry) = log.read(partition, next, 1).await?.into_iter().next() else {
            continue;
        };
        let verdict = match projection.try_next(&entry).await {
            Ok(()) => "applies now".to_owned(),
            Err(error) => format!("fails: {}", error.detail()),
        };
        println!(
            "  next record, offset {next}: {}; {verdict}",
            describe(&entry)
        );
    }
    Ok(())
}

/// Passes over the record at `offset` of `partition`, which must be the partition's next
/// record: stored as failed (the API call waiting for it answers 500 with its command id),
/// remembered so rebuilds pass over it too, noted in the projector's log, and — when the
/// record names its tenant — in the tenant's activity log (`log.record_skipped`).
pub async fn skip(
    database: DatabaseArgs,
    partition: u32,
    offset: i64,
    reason: String,
    yes: bool,
) -> anyhow::Result<()> {
    let log = event_log::connect(database.event_log_url()).await?;
    let Some(entry) = log.read(partition, offset, 1).await?.into_iter().next() else {
        anyhow::bail!("partition {partition} has no record at offset {offset}");
    };
    anyhow::ensure!(
        entry.position.offset == offset,
        "partition {partition} has no record at offset {offset}"
    );
    eprintln!("record: {}", describe(&entry));
    if !yes {
        crate::cli::confirm(
            &format!(
                "Pass over offset {offset} of partition {partition}? Nothing of it will be applied."
            ),
            "passing over a record",
        )?;
    }
    let projection = Projection::new(Store::connect(
        &database.database_url,
        READ_MODEL_SCHEMA,
        2,
    )?);
    let failed = match projection.skip(&entry, &reason).await? {
        Ok(failed) => failed,
        Err(checkpoint) => anyhow::bail!(
            "offset {offset} is not the next record of partition {partition} (applied through \
             {}); only the record a partition stops at can be passed over",
            checkpoint.map_or("nothing".to_owned(), |c| c.to_string())
        ),
    };
    println!("passed over partition {partition} offset {offset}");
    let Some(tenant) = failed.tenant_id else {
        println!("the record names no tenant: no activity entry written");
        return Ok(());
    };
    let submitter = crate::submit::Submitter::new(&database.database_url, log)?;
    let record = CommandRecord::new(
        tenant,
        Actor::system("operator"),
        Command::RecordSkip(RecordSkip {
            partition,
            offset,
            command_id: failed.command_id,
            skipped_kind: failed.kind,
            reason,
        }),
    );
    match submitter.submit(&[record]).await {
        Ok(()) => println!("noted in the activity log of tenant {tenant}"),
        Err(error) => println!("no activity entry for tenant {tenant}: {error:#}"),
    }
    Ok(())
}

fn describe(entry: &LogEntry) -> String {
    match &entry.record {
        Ok(record) => format!(
            "{} {} of tenant {}, issued {}",
            record.command.kind(),
            record.command_id,
            record.tenant_id,
            record.issued_at.to_rfc3339()
        ),
        Err(unreadable) => format!("unreadable ({})", unreadable.reason),
    }
}
