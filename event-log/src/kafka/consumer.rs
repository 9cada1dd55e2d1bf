//! Group consumers of the Kafka log.
//!
//! Kafka's group protocol shares the partitions; the rebalance callbacks (see [`rebalance`])
//! queue `Assigned`/`Revoked`, and `poll` hands those out before any record. They run inside
//! `recv`, so a record can never be handed out before the change that concerns it.
//!
//! [`rebalance`]: super::rebalance
//!
//! Offsets are ours: the projector's checkpoint in Postgres is the truth and it calls `seek`
//! after each assignment. librdkafka refuses a seek on a partition whose fetching has not
//! started yet ("Erroneous state"), so each partition keeps a cursor, the next offset expected:
//! records below it are dropped, and after a refused seek a record above it means the broker
//! is elsewhere, so the seek is retried then (fetching has started by that time). The offset
//! sought is also committed to Kafka, only as a starting hint for the next owner.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::time::Instant;

use super::kafka_error;
use super::rebalance::{Changes, GroupContext};
use super::settings::Settings;
use crate::{ConsumerEvent, ConsumerOptions, LogConsumer, LogEntry, LogError, Position};

/// How long a seek may block a worker thread.
const SEEK_TIMEOUT: Duration = Duration::from_millis(500);

/// Where an owned partition stands.
struct Cursor {
    /// The next offset to hand out; records below it are dropped.
    next: i64,
    /// The last seek was refused by librdkafka and must be retried.
    seek_pending: bool,
}

/// A message taken out of librdkafka's buffer.
struct Received {
    partition: i32,
    offset: i64,
    payload: Vec<u8>,
}

pub(super) struct KafkaConsumer {
    /// `None` once closed. Shared with the blocking seek tasks.
    consumer: Option<Arc<StreamConsumer<GroupContext>>>,
    changes: Changes,
    topic: String,
    max_batch: usize,
    cursors: BTreeMap<u32, Cursor>,
    pending: VecDeque<ConsumerEvent>,
    buffer: VecDeque<LogEntry>,
}

impl KafkaConsumer {
    pub(super) fn join(settings: &Settings, options: ConsumerOptions) -> Result<Self, LogError> {
        let changes = Changes::default();
        let context = GroupContext {
            topic: settings.topic.clone(),
            changes: changes.clone(),
        };
        let consumer: StreamConsumer<GroupContext> = settings
            .group_consumer(&options.group, options.instance.as_deref())
            .create_with_context(context)
            .map_err(|e| LogError::InvalidUrl(format!("bad Kafka consumer configuration: {e}")))?;
        consumer
            .subscribe(&[&settings.topic])
            .map_err(kafka_error)?;
        Ok(Self {
            consumer: Some(Arc::new(consumer)),
            changes,
            topic: settings.topic.clone(),
            max_batch: options.max_batch.max(1),
            cursors: BTreeMap::new(),
            pending: VecDeque::new(),
            buffer: VecDeque::new(),
        })
    }

    /// Applies the queued assignment changes to the cursors and the buffer, and queues them
    /// for the caller in the order they happened.
    fn take_changes(&mut self) {
        let changes: Vec<ConsumerEvent> = self
            .changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .drain(..)
            .collect();
        for change in changes {
            match &change {
                ConsumerEvent::Assigned(partitions) => {
                    for partition in partitions {
                        self.cursors.insert(
                            *partition,
                            Cursor {
                                next: 0,
                                seek_pending: false,
                            },
                        );
                    }
                }
                ConsumerEvent::Revoked(partitions) => {
                    for partition in partitions {
                        self.cursors.remove(partition);
                    }
                    self.buffer
                        .retain(|entry| !partitions.contains(&entry.position.partition));
                }
                ConsumerEvent::Records(_) | ConsumerEvent::Idle => {}
            }
            self.pending.push_back(change);
        }
    }

    /// Takes one message (or error) in: filtered by the cursors, decoded, buffered.
    async fn accept(&mut self, received: Result<Received, KafkaError>) {
        let message = match received {
            Ok(message) => message,
            Err(KafkaError::PartitionEOF(_)) => return,
            // librdkafka retries transport errors by itself; they are only worth a line.
            Err(error) => {
                tracing::warn!(%error, "consuming the event log");
                return;
            }
        };
        let Ok(partition) = u32::try_from(message.partition) else {
            return;
        };
        let Some(cursor) = self.cursors.get_mut(&partition) else {
            return;
        };
        if message.offset < cursor.next {
            return;
        }
        if cursor.seek_pending && message.offset > cursor.next {
            // The broker is still where it was before the refused seek. Fetching has started
            // now, so the seek can work; until it does, records keep being dropped.
            let next = cursor.next;
            let sought = self.seek_now(partition, next).await;
            if let Some(cursor) = self.cursors.get_mut(&partition) {
                cursor.seek_pending = !sought;
            }
            return;
        }
        cursor.seek_pending = false;
        cursor.next = message.offset + 1;
        let position = Position {
            partition,
            offset: message.offset,
        };
        self.buffer
            .push_back(LogEntry::decode(position, &message.payload));
    }

    /// Asks librdkafka to move the partition; false if it refused.
    async fn seek_now(&self, partition: u32, offset: i64) -> bool {
        let Some(consumer) = self.consumer.clone() else {
            return false;
        };
        let topic = self.topic.clone();
        let result = tokio::task::spawn_blocking(move || {
            consumer.seek(
                &topic,
                partition as i32,
                Offset::Offset(offset),
                SEEK_TIMEOUT,
            )
        })
        .await;
        match result {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::debug!(%error, partition, offset, "seek refused, will retry");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "seek task failed");
                false
            }
        }
    }

    fn take_batch(&mut self) -> Vec<LogEntry> {
        let count = self.buffer.len().min(self.max_batch);
        self.buffer.drain(..count).collect()
    }
}

fn received(
    result: Result<rdkafka::message::BorrowedMessage<'_>, KafkaError>,
) -> Result<Received, KafkaError> {
    result.map(|message| Received {
        partition: message.partition(),
        offset: message.offset(),
        payload: message.payload().unwrap_or_default().to_vec(),
    })
}

#[async_trait]
impl LogConsumer for KafkaConsumer {
    async fn poll(&mut self, max_wait: Duration) -> Result<ConsumerEvent, LogError> {
        let deadline = Instant::now() + max_wait;
        let Some(consumer) = self.consumer.clone() else {
            return Err(LogError::Other("the consumer is closed".to_owned()));
        };
        loop {
            self.take_changes();
            if let Some(change) = self.pending.pop_front() {
                return Ok(change);
            }
            if !self.buffer.is_empty() {
                return Ok(ConsumerEvent::Records(self.take_batch()));
            }
            // Waiting in `recv` also runs the rebalance callbacks and keeps the group
            // membership alive.
            let first = match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Ok(result) => received(result),
                Err(_) => {
                    self.take_changes();
                    return Ok(self.pending.pop_front().unwrap_or(ConsumerEvent::Idle));
                }
            };
            self.take_changes();
            self.accept(first).await;
            // Whatever is already buffered joins the batch, without waiting.
            while self.buffer.len() < self.max_batch {
                let Some(result) = consumer.recv().now_or_never() else {
                    break;
                };
                let next = received(result);
                self.take_changes();
                self.accept(next).await;
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        let next_offset = next_offset.max(0);
        let Some(cursor) = self.cursors.get_mut(&partition) else {
            return Ok(());
        };
        cursor.next = next_offset;
        self.buffer
            .retain(|entry| entry.position.partition != partition);
        let sought = self.seek_now(partition, next_offset).await;
        if let Some(cursor) = self.cursors.get_mut(&partition) {
            cursor.seek_pending = !sought;
        }
        // Everything below the offset sought is applied: a safe start for the next owner.
        if let Some(consumer) = &self.consumer {
            let mut offsets = TopicPartitionList::new();
            let added = offsets.add_partition_offset(
                &self.topic,
                partition as i32,
                Offset::Offset(next_offset),
            );
            if let Err(error) = added.and_then(|()| consumer.commit(&offsets, CommitMode::Async)) {
                tracing::debug!(%error, partition, "committing the offset sought");
            }
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        // Dropping the consumer leaves the group (so the others take the partitions at once)
        // and blocks until it has, so it happens off the async threads.
        if let Some(consumer) = self.consumer.take() {
            let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
        }
    }
}

impl Drop for KafkaConsumer {
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || drop(consumer))),
                Err(_) => drop(consumer),
            }
        }
    }
}
