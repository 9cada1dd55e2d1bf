//! Consumers of the Kafka log.
//!
//! Who owns which partition is decided in Postgres, the same way as on the Postgres log (see
//! [`membership`]), in the read models' database the projector writes to: a member's advisory
//! locks go with its connection, so a killed projector's partitions move to the others (or to
//! its restarted self) within about a second — with no group coordinator, session timeout or
//! rebalance of the broker in the way (Kafka's group
//! protocol cannot notice a dead member faster than its session timeout, 6 s at the least on
//! a stock broker). The broker only serves fetches: each owned partition is assigned to the
//! librdkafka consumer by hand (`incremental_assign`) at the offset the owner asked for.
//!
//! [`membership`]: crate::membership
//!
//! Offsets are ours: the projector's checkpoint is the truth and it calls `seek` after each
//! assignment. A partition starts fetching at the next poll after it is assigned or sought, at
//! the cursor's offset. Only the record at the cursor is taken: one below was handed out
//! already, one above comes from a fetch position the partition has since left (a seek), and
//! makes the partition start fetching again at its cursor.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::time::Instant;

use super::context::TracingContext;
use super::settings::Settings;
use crate::membership::Membership;
use crate::postgres::db_error;
use crate::{ConsumerEvent, ConsumerOptions, LogConsumer, LogEntry, LogError, Position};

/// Where an owned partition stands.
struct Cursor {
    /// The next offset to hand out: the only one taken.
    next: i64,
    /// Assigned to the librdkafka consumer at `next` (else it is at the next poll).
    fetching: bool,
}

/// A message taken out of librdkafka's buffer.
struct Received {
    partition: i32,
    offset: i64,
    payload: Vec<u8>,
}

pub(super) struct KafkaConsumer {
    membership: Membership,
    /// `None` once closed. Shared with the blocking assignment tasks.
    consumer: Option<Arc<StreamConsumer<TracingContext>>>,
    topic: String,
    max_batch: usize,
    cursors: BTreeMap<u32, Cursor>,
    /// librdkafka's assignment may hold partitions to take out (revoked, sought, fetching from
    /// the wrong place): [`Self::fetch_owned`] looks at it. Cleared only once it has.
    unsettled: bool,
    pending: VecDeque<ConsumerEvent>,
    buffer: VecDeque<LogEntry>,
}

impl KafkaConsumer {
    /// A member of `options.group` that shares the partitions with the others in the database
    /// of `members` (the read models').
    pub(super) async fn join(
        settings: &Settings,
        members: tokio_postgres::Config,
        options: ConsumerOptions,
    ) -> Result<Self, LogError> {
        let consumer: StreamConsumer<TracingContext> = settings
            .owner(&options.group)
            .create_with_context(TracingContext)
            .map_err(|e| LogError::InvalidUrl(format!("bad Kafka consumer configuration: {e}")))?;
        Membership::create_table(&members).await?;
        let membership = Membership::join(members, &options, settings.partitions, None).await?;
        Ok(Self {
            membership,
            consumer: Some(Arc::new(consumer)),
            topic: settings.topic.clone(),
            max_batch: options.max_batch.max(1),
            cursors: BTreeMap::new(),
            unsettled: false,
            pending: VecDeque::new(),
            buffer: VecDeque::new(),
        })
    }

    /// Follows an assignment change in the cursors and the buffer, and queues it for the
    /// caller; librdkafka's assignment follows at [`Self::fetch_owned`].
    fn queue(&mut self, change: ConsumerEvent) {
        match &change {
            ConsumerEvent::Assigned(partitions) => {
                for partition in partitions {
                    let cursor = Cursor {
                        next: 0,
                        fetching: false,
                    };
                    self.cursors.insert(*partition, cursor);
                }
            }
            ConsumerEvent::Revoked(partitions) => {
                for partition in partitions {
                    self.cursors.remove(partition);
                }
                self.unsettled = true;
                self.buffer
                    .retain(|entry| !partitions.contains(&entry.position.partition));
            }
            ConsumerEvent::Records(_) | ConsumerEvent::Idle => {}
        }
        self.pending.push_back(change);
    }

    /// Makes a partition fetch again from its cursor (from the next [`Self::fetch_owned`]).
    fn refetch(&mut self, partition: u32) {
        if let Some(cursor) = self.cursors.get_mut(&partition) {
            cursor.fetching = false;
            self.unsettled = true;
        }
    }

    /// Makes librdkafka's assignment what the cursors say: what it holds of partitions not
    /// owned or not fetching is taken out, then the partitions not fetching are assigned at
    /// their cursors. It reads librdkafka's assignment rather than trusting what was asked of
    /// it: a poll cancelled while a change was being made leaves that change done or not, and
    /// the next poll finds out which. What librdkafka refuses is tried again at the next poll.
    async fn fetch_owned(&mut self) {
        if !self.unsettled && self.cursors.values().all(|cursor| cursor.fetching) {
            return;
        }
        let Some(assigned) = self.assigned().await else {
            return;
        };
        let stopping: Vec<(u32, i64)> = assigned
            .iter()
            .filter(|p| !self.cursors.get(p).is_some_and(|cursor| cursor.fetching))
            .map(|p| (*p, 0))
            .collect();
        if !stopping.is_empty() && !self.assignment(&stopping, false).await {
            return;
        }
        self.unsettled = false;
        let starting: Vec<(u32, i64)> = self
            .cursors
            .iter()
            .filter(|(_, cursor)| !cursor.fetching)
            .map(|(partition, cursor)| (*partition, cursor.next))
            .collect();
        if !starting.is_empty() && self.assignment(&starting, true).await {
            for (partition, _) in starting {
                if let Some(cursor) = self.cursors.get_mut(&partition) {
                    cursor.fetching = true;
                }
            }
        }
    }

    /// The partitions in librdkafka's assignment now.
    async fn assigned(&self) -> Option<BTreeSet<u32>> {
        let consumer = self.consumer.clone()?;
        let topic = self.topic.clone();
        let assignment = tokio::task::spawn_blocking(move || consumer.assignment()).await;
        match assignment {
            Ok(Ok(list)) => Some(
                list.elements_for_topic(&topic)
                    .iter()
                    .filter_map(|element| u32::try_from(element.partition()).ok())
                    .collect(),
            ),
            Ok(Err(error)) => {
                tracing::warn!(%error, "reading the Kafka consumer's assignment");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "assignment task failed");
                None
            }
        }
    }

    /// Adds partitions to librdkafka's assignment at the offsets given, or removes them; false
    /// if librdkafka refused (said, and tried again by the caller).
    async fn assignment(&self, partitions: &[(u32, i64)], add: bool) -> bool {
        let Some(consumer) = self.consumer.clone() else {
            return false;
        };
        let mut list = TopicPartitionList::new();
        for (partition, offset) in partitions {
            let added =
                list.add_partition_offset(&self.topic, *partition as i32, Offset::Offset(*offset));
            if let Err(error) = added {
                tracing::warn!(%error, partition, offset, "a partition's start offset");
                return false;
            }
        }
        // librdkafka's main thread applies the change; the call waits for it.
        let changed = tokio::task::spawn_blocking(move || {
            if add {
                consumer.incremental_assign(&list)
            } else {
                consumer.incremental_unassign(&list)
            }
        })
        .await;
        match changed {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::warn!(%error, add, "changing the Kafka consumer's assignment");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "assignment task failed");
                false
            }
        }
    }

    /// Takes one message (or error) in: only the record at its partition's cursor is kept.
    fn accept(&mut self, received: Result<Received, KafkaError>) {
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
        if !cursor.fetching || message.offset < cursor.next {
            return;
        }
        if message.offset > cursor.next {
            // Fetched from where the partition was before a seek (or the records at the cursor
            // are gone from the topic): fetch again from the cursor.
            tracing::debug!(
                partition,
                offset = message.offset,
                expected = cursor.next,
                "a record past the cursor; fetching again from the cursor"
            );
            self.refetch(partition);
            return;
        }
        cursor.next = message.offset + 1;
        let position = Position {
            partition,
            offset: message.offset,
        };
        self.buffer
            .push_back(LogEntry::decode(position, &message.payload));
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
            for change in self.membership.changes() {
                self.queue(change);
            }
            if let Some(change) = self.pending.pop_front() {
                return Ok(change);
            }
            // Lost connection: reconnect, then take partitions again at once. An error here
            // goes to the caller, which retries with its own backoff.
            self.membership.connect().await?;
            match self.membership.rebalance().await {
                Ok(()) if self.membership.has_changes() => continue,
                Ok(()) => {}
                Err(_) if self.membership.is_closed() => continue,
                Err(error) => return Err(db_error(error)),
            }
            self.fetch_owned().await;
            if !self.buffer.is_empty() {
                return Ok(ConsumerEvent::Records(self.take_batch()));
            }
            if Instant::now() >= deadline {
                return Ok(ConsumerEvent::Idle);
            }
            let wake_at = deadline.min(self.membership.next_rebalance());
            let Ok(first) = tokio::time::timeout_at(wake_at, consumer.recv()).await else {
                continue;
            };
            self.accept(received(first));
            // Whatever is already buffered joins the batch, without waiting.
            while self.buffer.len() < self.max_batch {
                let Some(next) = consumer.recv().now_or_never() else {
                    break;
                };
                self.accept(received(next));
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        let Some(cursor) = self.cursors.get_mut(&partition) else {
            return Ok(());
        };
        cursor.next = next_offset.max(0);
        self.refetch(partition);
        self.buffer
            .retain(|entry| entry.position.partition != partition);
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        // The partitions move to the others at their next look; the librdkafka consumer is
        // destroyed off the async threads (it may block briefly).
        if let Some(consumer) = self.consumer.take() {
            let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
        }
        self.membership.leave().await;
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
