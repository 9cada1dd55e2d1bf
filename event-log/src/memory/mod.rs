//! `memory://`: the log in process memory, for unit and contract tests.
//!
//! Each group hands partitions out by a fixed rule (member `i` of `n` live members, in joining
//! order, owns the partitions `p` with `p % n == i`), and a partition moves only once its owner
//! has released it in its own `poll`, so two members never own one partition at once.

mod consumer;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use schema::{CommandRecord, TenantId};
use tokio::sync::watch;

use self::consumer::MemoryConsumer;
use crate::url::LogUrl;
use crate::{ConsumerOptions, EventLog, LogConsumer, LogEntry, LogError, Position};

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

    async fn append_encoded(&self, tenant: TenantId, bytes: &[u8]) -> Result<Position, LogError> {
        let record = CommandRecord::decode(bytes)
            .map_err(|e| LogError::Other(format!("not a command record: {e}")))?;
        let partition = self.partition_for(tenant);
        let offset = {
            let mut state = self.shared.lock();
            let log = &mut state.records[partition as usize];
            log.push(record.clone());
            log.len() as i64 - 1
        };
        self.shared.bump();
        Ok(Position { partition, offset })
    }

    async fn end_offsets(&self) -> Result<Vec<i64>, LogError> {
        let state = self.shared.lock();
        Ok(state.records.iter().map(|log| log.len() as i64).collect())
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
        Ok(Box::new(MemoryConsumer::new(self.clone(), options, member)))
    }

    async fn ping(&self) -> Result<(), LogError> {
        Ok(())
    }
}

pub(super) fn entries(
    log: &[CommandRecord],
    partition: u32,
    from_offset: i64,
    max: usize,
) -> Vec<LogEntry> {
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
            record: Ok(record.clone()),
        })
        .collect()
}
