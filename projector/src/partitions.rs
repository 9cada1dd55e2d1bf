//! The projector's bookkeeping per owned partition: records waiting for their turn, the batches
//! in flight, and the pause after a failure. Each partition moves on its own, so one that
//! fails or is slow never holds back the others.

use std::collections::BTreeMap;
use std::time::Duration;

use event_log::LogEntry;
use tokio::time::Instant;

/// The first pause after a failed batch; doubled on each failure in a row, up to the maximum.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// A partition's batches in flight at most: the first, and those decided on the state the one
/// before leaves, sent before its `COMMIT` is answered (`Projection::prepare`).
const IN_FLIGHT_AT_MOST: usize = 2;

/// The pause after `failures` failures in a row (at least one): `first`, doubled for each
/// failure after the first, up to `max`.
pub(crate) fn backoff(first: Duration, max: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    first.saturating_mul(1 << doublings).min(max)
}

#[derive(Default)]
pub(crate) struct Partition {
    /// Records read for this partition and not yet handed to a batch, in offset order.
    queued: Vec<LogEntry>,
    /// Records were dropped because the queue was full: read again from here once the queue
    /// has drained.
    resume_from: Option<i64>,
    /// After a failure: records are dropped until then, and the partition is read again from
    /// its checkpoint.
    paused_until: Option<Instant>,
    failures: u32,
}

/// What the loop must do for a partition before it reads on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// Read again from the stored checkpoint (after a failure).
    FromCheckpoint,
    /// Read again from this offset (after the queue overflowed).
    From(i64),
}

/// Every owned partition.
pub(crate) struct Partitions {
    owned: BTreeMap<u32, Partition>,
    /// Partitions with batches in flight, and how many (owned or not any more: a revoked
    /// partition's batches still finish).
    in_flight: BTreeMap<u32, usize>,
    /// Partitions with a batch in flight whose queued records could not be decided on the state
    /// it leaves: they wait for it to finish.
    waiting: std::collections::BTreeSet<u32>,
    max_batch: usize,
}

impl Partitions {
    pub(crate) fn new(max_batch: usize) -> Self {
        Self {
            owned: BTreeMap::new(),
            in_flight: Default::default(),
            waiting: Default::default(),
            max_batch: max_batch.max(1),
        }
    }

    pub(crate) fn owned(&self) -> Vec<u32> {
        self.owned.keys().copied().collect()
    }

    pub(crate) fn assign(&mut self, partition: u32) {
        self.owned.insert(partition, Partition::default());
    }

    pub(crate) fn revoke(&mut self, partition: u32) {
        self.owned.remove(&partition);
    }

    /// Takes in records just read. Records of a paused or unowned partition are dropped (they
    /// are read again on resume); a queue holds at most one batch besides the one in flight,
    /// beyond which records are dropped and read again once it has drained, so a slow
    /// partition's backlog stays in the log rather than in memory.
    pub(crate) fn offer(&mut self, entries: Vec<LogEntry>) {
        let limit = self.max_batch;
        for entry in entries {
            let Some(state) = self.owned.get_mut(&entry.position.partition) else {
                continue;
            };
            if state.paused_until.is_some() || state.resume_from.is_some() {
                continue;
            }
            if state.queued.len() >= limit {
                state.resume_from = Some(entry.position.offset);
                continue;
            }
            state.queued.push(entry);
        }
    }

    /// The next batch to start: the queued records (up to a batch) of an owned partition with
    /// none in flight. Marks it in flight.
    pub(crate) fn next_batch(&mut self) -> Option<(u32, Vec<LogEntry>)> {
        let partition = *self
            .owned
            .iter()
            .find(|(partition, state)| !state.queued.is_empty() && !self.is_in_flight(partition))?
            .0;
        Some((partition, self.start(partition)))
    }

    /// The next batches to try to send behind the one in flight: the queued records of each
    /// owned partition with fewer than [`IN_FLIGHT_AT_MOST`] batches in flight (and one at
    /// least), unless they already failed to be decided on what it leaves. Marks them in
    /// flight; a batch that cannot go is handed back ([`Self::give_back`]).
    pub(crate) fn next_behind(&mut self) -> Vec<(u32, Vec<LogEntry>)> {
        let behind: Vec<u32> = self
            .owned
            .iter()
            .filter(|(partition, state)| {
                !state.queued.is_empty()
                    && (1..IN_FLIGHT_AT_MOST).contains(&self.in_flight_count(partition))
                    && !self.waiting.contains(partition)
            })
            .map(|(partition, _)| *partition)
            .collect();
        behind
            .into_iter()
            .map(|partition| (partition, self.start(partition)))
            .collect()
    }

    /// Whether some partition could send a batch behind the one in flight as soon as records
    /// arrive for it: the log is then read at once rather than when a batch finishes.
    pub(crate) fn wants_behind(&self) -> bool {
        self.owned.iter().any(|(partition, state)| {
            (1..IN_FLIGHT_AT_MOST).contains(&self.in_flight_count(partition))
                && !self.waiting.contains(partition)
                && state.paused_until.is_none()
                && state.resume_from.is_none()
        })
    }

    /// A batch from [`Self::next_behind`] that could not go: its records are queued again, first,
    /// and the partition waits for its batch in flight to finish.
    pub(crate) fn give_back(&mut self, partition: u32, batch: Vec<LogEntry>) {
        self.end_one(partition);
        self.waiting.insert(partition);
        if let Some(state) = self.owned.get_mut(&partition) {
            state.queued.splice(0..0, batch);
        }
    }

    fn start(&mut self, partition: u32) -> Vec<LogEntry> {
        let Some(state) = self.owned.get_mut(&partition) else {
            return Vec::new();
        };
        let count = state.queued.len().min(self.max_batch);
        let batch = state.queued.drain(..count).collect();
        *self.in_flight.entry(partition).or_default() += 1;
        batch
    }

    fn end_one(&mut self, partition: u32) {
        if let Some(count) = self.in_flight.get_mut(&partition) {
            *count -= 1;
            if *count == 0 {
                self.in_flight.remove(&partition);
            }
        }
    }

    fn in_flight_count(&self, partition: &u32) -> usize {
        self.in_flight.get(partition).copied().unwrap_or(0)
    }

    fn is_in_flight(&self, partition: &u32) -> bool {
        self.in_flight.contains_key(partition)
    }

    /// A batch finished: the partition may start another.
    pub(crate) fn finished(&mut self, partition: u32, succeeded: bool) {
        self.end_one(partition);
        self.waiting.remove(&partition);
        if let Some(state) = self.owned.get_mut(&partition) {
            if succeeded {
                state.failures = 0;
            }
        }
    }

    /// A batch failed: forget what is queued and pause, longer after each failure in a row.
    /// Returns the pause.
    pub(crate) fn pause(&mut self, partition: u32, now: Instant) -> Option<Duration> {
        let state = self.owned.get_mut(&partition)?;
        state.failures = state.failures.saturating_add(1);
        let delay = backoff(FIRST_RETRY_DELAY, MAX_RETRY_DELAY, state.failures);
        state.queued.clear();
        state.resume_from = None;
        state.paused_until = Some(now + delay);
        Some(delay)
    }

    /// Forgets what is queued for a partition (its reader was moved).
    pub(crate) fn clear(&mut self, partition: u32) {
        if let Some(state) = self.owned.get_mut(&partition) {
            state.queued.clear();
            state.resume_from = None;
        }
    }

    /// Whether reading on can give some partition records it will keep: one is owned with room
    /// in its queue. When every queue is full (or paused), the loop waits for a batch to finish
    /// instead of reading records only to drop them.
    pub(crate) fn wants_records(&self) -> bool {
        self.owned.is_empty()
            || self.owned.values().any(|state| {
                state.paused_until.is_none()
                    && state.resume_from.is_none()
                    && state.queued.len() < self.max_batch
            })
    }

    /// When the earliest pause ends (of partitions with no batch in flight: the end of a
    /// batch wakes the loop anyway, and a pause already over must not keep waking it).
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.owned
            .iter()
            .filter(|(partition, _)| !self.is_in_flight(partition))
            .filter_map(|(_, state)| state.paused_until)
            .min()
    }

    /// Partitions to read again, and from where: paused ones whose pause is over, and
    /// overflowed ones whose queue has drained. Clears their marks.
    pub(crate) fn take_resumes(&mut self, now: Instant) -> Vec<(u32, Resume)> {
        let mut resumes = Vec::new();
        for (&partition, state) in &mut self.owned {
            if self.in_flight.contains_key(&partition) {
                continue;
            }
            if state.paused_until.is_some_and(|until| until <= now) {
                state.paused_until = None;
                resumes.push((partition, Resume::FromCheckpoint));
            } else if state.paused_until.is_none() && state.queued.is_empty() {
                if let Some(offset) = state.resume_from.take() {
                    resumes.push((partition, Resume::From(offset)));
                }
            }
        }
        resumes
    }

    /// Partitions owned now (for `/metrics`).
    pub(crate) fn owned_count(&self) -> usize {
        self.owned.len()
    }

    /// Partitions paused after a failure (for `/metrics`).
    pub(crate) fn paused(&self) -> usize {
        self.owned
            .values()
            .filter(|state| state.paused_until.is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event_log::Position;

    fn entry(partition: u32, offset: i64) -> LogEntry {
        LogEntry {
            position: Position { partition, offset },
            record: Err(event_log::Unreadable {
                reason: "test".to_owned(),
                too_new: false,
                command_id: None,
                tenant_id: None,
            }),
        }
    }

    #[test]
    fn a_partition_with_a_batch_in_flight_waits_while_the_others_go_on() {
        let mut partitions = Partitions::new(2);
        partitions.assign(0);
        partitions.assign(1);
        partitions.offer(vec![entry(0, 0), entry(0, 1), entry(1, 0)]);
        let (first, batch) = partitions.next_batch().unwrap();
        assert_eq!((first, batch.len()), (0, 2));
        partitions.offer(vec![entry(0, 2)]);
        let (second, _) = partitions.next_batch().unwrap();
        assert_eq!(second, 1);
        assert!(
            partitions.next_batch().is_none(),
            "partition 0 is in flight"
        );
        partitions.finished(0, true);
        assert_eq!(partitions.next_batch().unwrap().1[0].position.offset, 2);
    }

    #[test]
    fn a_batch_goes_behind_the_one_in_flight_unless_it_could_not_be_decided_on_it() {
        let mut partitions = Partitions::new(2);
        partitions.assign(0);
        assert!(!partitions.wants_behind(), "nothing in flight");
        partitions.offer(vec![entry(0, 0)]);
        partitions.next_batch().unwrap();
        assert!(partitions.wants_behind());
        partitions.offer(vec![entry(0, 1), entry(0, 2)]);
        assert!(partitions.next_batch().is_none(), "one is in flight");
        let behind = partitions.next_behind();
        assert_eq!(behind.len(), 1);
        assert_eq!(behind[0].1.len(), 2);
        assert!(!partitions.wants_behind(), "two in flight at most");
        partitions.offer(vec![entry(0, 3)]);
        assert!(partitions.next_behind().is_empty());

        // The second finishes first; the third cannot be decided on what the first leaves: it
        // waits, first in the queue, for the first to finish.
        partitions.finished(0, true);
        let (partition, third) = partitions.next_behind().pop().unwrap();
        partitions.give_back(partition, third);
        assert!(
            partitions.next_behind().is_empty(),
            "waits for the one in flight"
        );
        assert!(!partitions.wants_behind());
        partitions.finished(0, true);
        let (_, next) = partitions.next_batch().unwrap();
        assert_eq!(next[0].position.offset, 3);
    }

    #[test]
    fn a_failed_partition_drops_its_records_and_resumes_from_its_checkpoint() {
        let mut partitions = Partitions::new(10);
        partitions.assign(0);
        partitions.assign(1);
        let now = Instant::now();
        partitions.offer(vec![entry(0, 0)]);
        let (partition, _) = partitions.next_batch().unwrap();
        partitions.finished(partition, false);
        assert_eq!(partitions.pause(0, now), Some(FIRST_RETRY_DELAY));
        partitions.offer(vec![entry(0, 1), entry(1, 0)]);
        assert_eq!(
            partitions.next_batch().unwrap().0,
            1,
            "only partition 1 goes on"
        );
        assert!(partitions.take_resumes(now).is_empty());
        let later = now + FIRST_RETRY_DELAY;
        assert_eq!(
            partitions.take_resumes(later),
            vec![(0, Resume::FromCheckpoint)]
        );
        assert_eq!(partitions.pause(0, later), Some(FIRST_RETRY_DELAY * 2));
    }

    #[test]
    fn a_full_queue_drops_records_and_reads_them_again_once_drained() {
        let mut partitions = Partitions::new(2);
        partitions.assign(0);
        assert!(partitions.wants_records());
        partitions.offer((0..6).map(|offset| entry(0, offset)).collect());
        assert!(!partitions.wants_records(), "the queue is full");
        let (_, batch) = partitions.next_batch().unwrap();
        assert_eq!(batch.len(), 2);
        assert!(
            partitions.take_resumes(Instant::now()).is_empty(),
            "not while a batch is in flight"
        );
        partitions.finished(0, true);
        assert_eq!(
            partitions.take_resumes(Instant::now()),
            vec![(0, Resume::From(2))]
        );
        assert!(partitions.wants_records());
    }

    #[test]
    fn a_pause_over_while_a_batch_is_in_flight_waits_for_the_batch() {
        let mut partitions = Partitions::new(10);
        partitions.assign(0);
        partitions.offer(vec![entry(0, 0)]);
        partitions.next_batch().unwrap();
        let now = Instant::now();
        partitions.pause(0, now);
        assert_eq!(partitions.next_wake(), None);
        assert!(partitions.take_resumes(now + MAX_RETRY_DELAY).is_empty());
        partitions.finished(0, false);
        assert_eq!(partitions.next_wake(), Some(now + FIRST_RETRY_DELAY));
    }

    #[test]
    fn retry_pauses_grow_to_a_limit() {
        let mut partitions = Partitions::new(1);
        partitions.assign(0);
        let now = Instant::now();
        let pauses: Vec<Duration> = (0..10).map(|_| partitions.pause(0, now).unwrap()).collect();
        assert_eq!(pauses[1], Duration::from_secs(1));
        assert_eq!(*pauses.last().unwrap(), MAX_RETRY_DELAY);
    }
}
