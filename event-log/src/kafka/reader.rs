//! `read`: a consumer outside any group per read in flight, assigned by hand to the partition and
//! offset asked for, reading until it has enough or librdkafka says it reached the end of the
//! partition.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::time::Instant;

use super::context::TracingContext;
use super::kafka_error;
use super::settings::Settings;
use crate::{LogEntry, LogError, Position};

/// How long a read waits for the end of the partition before it gives up.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Reader {
    settings: Arc<Settings>,
    /// Consumers made on first use and kept, so a replay does not reconnect for every batch.
    /// Each serves one read at a time; reads at once (a replay rebuilds partitions side by side)
    /// take one each.
    idle: Mutex<Vec<ReaderState>>,
}

/// Consumers kept between reads; more reads at once make more, dropped after.
const KEPT: usize = 4;

struct ReaderState {
    consumer: StreamConsumer<TracingContext>,
    /// Where the consumer stands when the last read stopped at its `max` (not at the end of
    /// the partition): a read that continues from there keeps the assignment and the messages
    /// librdkafka has already fetched, instead of seeking again (a replay reads page after
    /// page of the same partition).
    cursor: Option<(u32, i64)>,
}

impl Reader {
    pub fn new(settings: Arc<Settings>) -> Self {
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
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
        let from_offset = from_offset.max(0);
        let mut state = self.take(partition, from_offset)?;
        if state.cursor != Some((partition, from_offset)) {
            let mut assignment = TopicPartitionList::new();
            assignment
                .add_partition_offset(
                    &self.settings.topic,
                    partition as i32,
                    Offset::Offset(from_offset),
                )
                .map_err(kafka_error)?;
            state.consumer.assign(&assignment).map_err(kafka_error)?;
        }
        state.cursor = None;
        let result = collect(&state.consumer, partition, from_offset, max).await;
        match &result {
            Ok((entries, false)) => {
                let next = entries
                    .last()
                    .map_or(from_offset, |e| e.position.offset + 1);
                state.cursor = Some((partition, next));
            }
            // At the end (or failed): the next read assigns afresh, so that it learns the end
            // of the partition again.
            _ => {
                if let Err(error) = state.consumer.unassign() {
                    tracing::debug!(%error, "unassigning the reader");
                }
            }
        }
        self.give_back(state);
        result.map(|(entries, _)| entries)
    }

    /// An idle consumer, preferably the one standing where this read starts; a new one if
    /// none is idle.
    fn take(&self, partition: u32, from_offset: i64) -> Result<ReaderState, LogError> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let here = idle
            .iter()
            .position(|state| state.cursor == Some((partition, from_offset)));
        if let Some(state) = here.map(|i| idle.swap_remove(i)).or_else(|| idle.pop()) {
            return Ok(state);
        }
        drop(idle);
        let consumer = self
            .settings
            .reader()
            .create_with_context(TracingContext)
            .map_err(|e| LogError::InvalidUrl(format!("bad Kafka consumer configuration: {e}")))?;
        Ok(ReaderState {
            consumer,
            cursor: None,
        })
    }

    fn give_back(&self, state: ReaderState) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < KEPT {
            idle.push(state);
        } else {
            // Closing a client may block on its threads.
            drop(tokio::task::spawn_blocking(move || drop(state)));
        }
    }
}

/// Reads up to `max` entries; says whether it stopped at the end of the partition (or a
/// timeout) rather than at `max`.
async fn collect(
    consumer: &StreamConsumer<TracingContext>,
    partition: u32,
    from_offset: i64,
    max: usize,
) -> Result<(Vec<LogEntry>, bool), LogError> {
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut entries = Vec::new();
    let mut next = from_offset;
    // What librdkafka last said instead of a record, for the message if the read times out.
    let mut last_error = None;
    loop {
        let message = match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(message)) => message,
            Ok(Err(KafkaError::PartitionEOF(eof))) if eof == partition as i32 => {
                return Ok((entries, true))
            }
            // Transport errors are retried by librdkafka; keep waiting until the deadline.
            Ok(Err(error)) => {
                tracing::debug!(%error, "reading the log");
                last_error = Some(error);
                continue;
            }
            Err(_) if entries.is_empty() => {
                let said = last_error.map_or_else(
                    || "no record, no error".to_owned(),
                    |error| format!("last error: {error}"),
                );
                return Err(LogError::Unavailable(format!(
                    "Kafka did not answer a read of partition {partition} from offset \
                     {from_offset} within {READ_TIMEOUT:?} ({said})"
                )));
            }
            Err(_) => return Ok((entries, true)),
        };
        // Leftovers of an earlier assignment, or the broker starting below the offset asked for.
        if message.partition() != partition as i32 || message.offset() < next {
            tracing::debug!(
                partition = message.partition(),
                offset = message.offset(),
                expected = next,
                "reader skips a record"
            );
            continue;
        }
        let position = Position {
            partition,
            offset: message.offset(),
        };
        entries.push(LogEntry::decode(
            position,
            message.payload().unwrap_or_default(),
        ));
        next = message.offset() + 1;
        if entries.len() >= max {
            return Ok((entries, false));
        }
    }
}
