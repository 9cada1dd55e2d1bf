//! Members of a group on the in-process log.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::{entries, MemoryLog};
use crate::{ConsumerEvent, ConsumerOptions, LogConsumer, LogEntry, LogError};

pub(super) struct MemoryConsumer {
    log: MemoryLog,
    changes: watch::Receiver<u64>,
    group: String,
    member: u64,
    max_batch: usize,
    /// Owned partitions and the next offset to hand out of each.
    next: BTreeMap<u32, i64>,
    pending: VecDeque<ConsumerEvent>,
    left: bool,
}

impl MemoryConsumer {
    /// A member already registered in its group.
    pub(super) fn new(log: MemoryLog, options: ConsumerOptions, member: u64) -> Self {
        Self {
            changes: log.shared.changed.subscribe(),
            log,
            group: options.group,
            member,
            max_batch: options.max_batch.max(1),
            next: BTreeMap::new(),
            pending: VecDeque::new(),
            left: false,
        }
    }

    /// Releases partitions that belong to someone else now, then takes the free ones that are
    /// ours; queues the changes, revocations first.
    fn rebalance(&mut self) {
        let (revoked, assigned) = {
            let mut state = self.log.shared.lock();
            let group = state.groups.entry(self.group.clone()).or_default();
            let revoked: Vec<u32> = self
                .next
                .keys()
                .copied()
                .filter(|p| !group.targets(self.member, *p))
                .collect();
            for partition in &revoked {
                group.owners.remove(partition);
            }
            let assigned: Vec<u32> = (0..self.log.partitions)
                .filter(|p| group.targets(self.member, *p) && !group.owners.contains_key(p))
                .collect();
            for partition in &assigned {
                group.owners.insert(*partition, self.member);
            }
            (revoked, assigned)
        };
        if !revoked.is_empty() {
            for partition in &revoked {
                self.next.remove(partition);
            }
            self.pending.push_back(ConsumerEvent::Revoked(revoked));
            self.log.shared.bump();
        }
        if !assigned.is_empty() {
            for partition in &assigned {
                self.next.insert(*partition, 0);
            }
            self.pending.push_back(ConsumerEvent::Assigned(assigned));
        }
    }

    fn take_records(&mut self) -> Vec<LogEntry> {
        let state = self.log.shared.lock();
        let mut batch = Vec::new();
        for (partition, next) in self.next.iter_mut() {
            let room = self.max_batch - batch.len();
            if room == 0 {
                break;
            }
            let found = entries(&state.records[*partition as usize], *partition, *next, room);
            if let Some(last) = found.last() {
                *next = last.position.offset + 1;
            }
            batch.extend(found);
        }
        batch
    }

    fn leave(&mut self) {
        if self.left {
            return;
        }
        self.left = true;
        {
            let mut state = self.log.shared.lock();
            if let Some(group) = state.groups.get_mut(&self.group) {
                group.members.remove(&self.member);
                group.owners.retain(|_, owner| *owner != self.member);
            }
        }
        self.log.shared.bump();
    }
}

#[async_trait]
impl LogConsumer for MemoryConsumer {
    async fn poll(&mut self, max_wait: Duration) -> Result<ConsumerEvent, LogError> {
        let deadline = tokio::time::Instant::now() + max_wait;
        loop {
            // Mark the current version seen before looking, so a change made after the look
            // wakes the wait below.
            self.changes.borrow_and_update();
            if self.pending.is_empty() {
                self.rebalance();
            }
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            let records = self.take_records();
            if !records.is_empty() {
                return Ok(ConsumerEvent::Records(records));
            }
            match tokio::time::timeout_at(deadline, self.changes.changed()).await {
                Ok(Ok(())) => continue,
                // The sender lives in `self.log`, so it cannot be gone; treat it as idle anyway.
                Ok(Err(_)) | Err(_) => return Ok(ConsumerEvent::Idle),
            }
        }
    }

    async fn seek(&mut self, partition: u32, next_offset: i64) -> Result<(), LogError> {
        if let Some(next) = self.next.get_mut(&partition) {
            *next = next_offset.max(0);
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        self.leave();
    }
}

impl Drop for MemoryConsumer {
    fn drop(&mut self) {
        self.leave();
    }
}
