//! `memory://`: the log in process memory, for unit and contract tests.
//!
//! Each group hands partitions out by a fixed rule (member `i` of `n` live members, in joining
//! order, owns the partitions `p` with `p % n == i`), and a partition moves only once its owner
//! has released it in its own `poll`, so two members never own one partition at once.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use schema::{CommandRecord, TenantId};
use tokio::sync::watch;

use crate::url::LogUrl;
use crate::{
    partition_of, ConsumerEvent, ConsumerOptions, EventLog, LogConsumer, LogEntry, LogError,
    Position,
};

const DEFAULT_PARTITIONS: u32 = 4;

/// An in-process log. Clones share the same records.
#[derive(Clone)]
pub struct MemoryLog {
    partitions: u32,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Bumped on every append and membership change; consumers wait on it.
    changed: watch::Sender<u64>,
}

struct State {
    records: Vec<Vec<CommandRecord>>,
    groups: HashMap<String, Group>,
    next_member: u64,
}

#[derive(Default)]
struct Group {
    members: BTreeSet<u64>,
    owners: BTreeMap<u32, u64>,
}

impl Group {
    /// Whether `member` should own `partition` given the live members.
    fn targets(&self, member: u64, partition: u32) -> bool {
        let index = self.members.iter().position(|m| *m == member);
        let count = self.members.len();
        index.is_some_and(|i| partition as usize % count == i)
    }
}

impl MemoryLog {
    pub fn new(partitions: u32) -> Self {
        let partitions = partitions.max(1);
        let state = State {
            records: vec![Vec::new(); partitions as usize],
            groups: HashMap::new(),
            next_member: 0,
        };
        let (changed, _) = watch::channel(0);
        Self {
            partitions,
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                changed,
            }),
        }
    }

    pub(crate) fn from_url(mut url: LogUrl) -> Result<Self, LogError> {
        if !url.authority.is_empty() && url.authority != "/" {
            return Err(LogError::InvalidUrl("memory:// takes no host".to_owned()));
        }
        let partitions = url.take_number("partitions", DEFAULT_PARTITIONS, 1)?;
        url.refuse_leftovers()?;
        Ok(Self::new(partitions))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state consistent (every change is one
        // statement), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|version| *version += 1);
    }
}

#[async_trait]
impl EventLog for MemoryLog {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    fn partition_for(&self, tenant: TenantId) -> u32 {
        partition_of(tenant, self.partitions)
    }

    async fn append(&self, record: &CommandRecord) -> Result<Position, LogError> {
        let partition = self.partition_for(record.tenant_id);
        let offset = {
            let mut state = self.shared.lock();
            let log = &mut state.records[partition as usize];
            log.push(record.clone());
            log.len() as i64 - 1
        };
        self.shared.bump();
        Ok(Position { partition, offset })
    }

    async fn read(
        &self,
        partition: u32,
        from_offset: i64,
        max: usize,
    ) -> Result<Vec<LogEntry>, LogError> {
        let state = self.shared.lock();
        let log = state
            .records
            .get(partition as usize)
            .ok_or_else(|| LogError::Other(format!("no partition {partition}")))?;
        Ok(entries(log, partition, from_offset, max))
    }

    async fn consumer(&self, options: ConsumerOptions) -> Result<Box<dyn LogConsumer>, LogError> {
        let member = {
            let mut state = self.shared.lock();
            let member = state.next_member;
            state.next_member += 1;
            state
                .groups
                .entry(options.group.clone())
                .or_default()
                .members
                .insert(member);
            member
        };
        self.shared.bump();
        Ok(Box::new(MemoryConsumer {
            log: self.clone(),
            changes: self.shared.changed.subscribe(),
            group: options.group,
            member,
            max_batch: options.max_batch.max(1),
            next: BTreeMap::new(),
            pending: VecDeque::new(),
            left: false,
        }))
    }

    async fn ping(&self) -> Result<(), LogError> {
        Ok(())
    }
}

fn entries(log: &[CommandRecord], partition: u32, from_offset: i64, max: usize) -> Vec<LogEntry> {
    let start = usize::try_from(from_offset.max(0))
        .unwrap_or(usize::MAX)
        .min(log.len());
    log[start..]
        .iter()
        .take(max)
        .enumerate()
        .map(|(i, record)| LogEntry {
            position: Position {
                partition,
                offset: (start + i) as i64,
            },
            record: record.clone(),
        })
        .collect()
}

struct MemoryConsumer {
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
