//! `read`: one consumer outside any group, assigned by hand to the partition and offset asked
//! for, reading until it has enough or librdkafka says it reached the end of the partition.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};
use schema::CommandRecord;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::context::TracingContext;
use super::kafka_error;
use super::settings::Settings;
use crate::{LogEntry, LogError, Position};

/// How long a read waits for the end of the partition before it gives up.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Reader {
    settings: Arc<Settings>,
    /// Made on first use and kept, so a replay does not reconnect for every batch. One read at
    /// a time: each one reassigns it.
    consumer: Mutex<Option<StreamConsumer<TracingContext>>>,
}

impl Reader {
    pub fn new(settings: Arc<Settings>) -> Self {
        Self {
            settings,
            consumer: Mutex::new(None),
        }
    }

    pub async fn read(
        &self,
        partition: u32,
        from_offset: i64,
        max: usize,
    ) -> Result<Vec<LogEntry>, LogError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut slot = self.consumer.lock().await;
        let consumer = match &mut *slot {
            Some(consumer) => consumer,
            empty => empty.insert(
                self.settings
                    .reader()
                    .create_with_context(TracingContext)
                    .map_err(|e| {
                        LogError::InvalidUrl(format!("bad Kafka consumer configuration: {e}"))
                    })?,
            ),
        };
        let from_offset = from_offset.max(0);
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(
                &self.settings.topic,
                partition as i32,
                Offset::Offset(from_offset),
            )
            .map_err(kafka_error)?;
        consumer.assign(&assignment).map_err(kafka_error)?;
        let result = collect(consumer, partition, from_offset, max).await;
        if let Err(error) = consumer.unassign() {
            tracing::debug!(%error, "unassigning the reader");
        }
        result
    }
}

async fn collect(
    consumer: &StreamConsumer<TracingContext>,
    partition: u32,
    from_offset: i64,
    max: usize,
) -> Result<Vec<LogEntry>, LogError> {
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut entries = Vec::new();
    let mut next = from_offset;
    loop {
        let message = match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(message)) => message,
            Ok(Err(KafkaError::PartitionEOF(eof))) if eof == partition as i32 => {
                return Ok(entries)
            }
            // Transport errors are retried by librdkafka; keep waiting until the deadline.
            Ok(Err(error)) => {
                tracing::debug!(%error, "reading the log");
                continue;
            }
            Err(_) if entries.is_empty() => {
                return Err(LogError::Unavailable(format!(
                    "Kafka did not answer a read of partition {partition} within {READ_TIMEOUT:?}"
                )))
            }
            Err(_) => return Ok(entries),
        };
        // Leftovers of an earlier assignment, or the broker starting below the offset asked for.
        if message.partition() != partition as i32 || message.offset() < next {
            continue;
        }
        let record = CommandRecord::decode(message.payload().unwrap_or_default())?;
        entries.push(LogEntry {
            position: Position {
                partition,
                offset: message.offset(),
            },
            record,
        });
        next = message.offset() + 1;
        if entries.len() >= max {
            return Ok(entries);
        }
    }
}
