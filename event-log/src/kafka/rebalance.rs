//! Assignment changes: librdkafka runs the rebalance callbacks inside `recv`, and
//! [`GroupContext`] queues them as `Assigned`/`Revoked` for `poll` to hand out first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::{ClientContext, TopicPartitionList};

use crate::ConsumerEvent;

pub(super) type Changes = Arc<Mutex<VecDeque<ConsumerEvent>>>;

/// Queues the assignment changes librdkafka reports during `recv`.
pub(super) struct GroupContext {
    pub topic: String,
    pub changes: Changes,
}

impl GroupContext {
    fn push(&self, partitions: &TopicPartitionList, change: fn(Vec<u32>) -> ConsumerEvent) {
        let mut list: Vec<u32> = partitions
            .elements_for_topic(&self.topic)
            .iter()
            .filter_map(|element| u32::try_from(element.partition()).ok())
            .collect();
        if list.is_empty() {
            return;
        }
        list.sort_unstable();
        self.changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(change(list));
    }
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        super::context::log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        super::context::error(&error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(partitions) => self.push(partitions, ConsumerEvent::Revoked),
            Rebalance::Error(error) => tracing::warn!(%error, "consumer group rebalance failed"),
            Rebalance::Assign(_) => {}
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            self.push(partitions, ConsumerEvent::Assigned);
        }
    }
}
