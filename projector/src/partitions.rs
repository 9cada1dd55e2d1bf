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
/// How long before its partition's batch in flight is expected to end a batch behind it is
/// cut: about what deciding, encoding and sending a batch take, so that it reaches the server
/// as the one before ends.
const BEHIND_LEAD: Duration = Duration::from_micros(300);

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

/// A partition's first batch in flight.
#[derive(Debug, Clone, Copy)]
struct Head {
    since: Instant,
    len: usize,
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
    /// Per partition with a batch in flight, the first one: when it started running, and its
    /// records.
    head: BTreeMap<u32, Head>,
    /// Per partition with a batch sent behind the first, that batch's records.
    behind_len: BTreeMap<u32, usize>,
    /// Per partition, how long its batches have been running (a moving average).
    running_time: BTreeMap<u32, Duration>,
    max_batch: usize,
}

impl Partitions {
    pub(crate) fn new(max_batch: usize) -> Self {
        Self {
            owned: BTreeMap::new(),
            in_flight: Default::default(),
            waiting: Default::default(),
            head: Default::default(),
            behind_len: Default::default(),
            running_time: Default::default(),
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
    /// none in flight. Marks it in flight, running from `now`.
    pub(crate) fn next_batch(&mut self, now: Instant) -> Option<(u32, Vec<LogEntry>)> {
        let partition = *self
            .owned
            .iter()
            .find(|(partition, state)| !state.queued.is_empty() && !self.is_in_flight(partition))?
            .0;
        Some((partition, self.start(partition, now)))
    }

    /// The next batches to try to send behind the one in flight: the queued records of each
    /// owned partition with fewer than [`IN_FLIGHT_AT_MOST`] batches in flight (and one at
    /// least), unless they already failed to be decided on what it leaves, once the batch in
    /// flight is near its expected end ([`Self::behind_due`]). Marks them in flight; a batch
    /// that cannot go is handed back ([`Self::give_back`]).
    pub(crate) fn next_behind(&mut self, now: Instant) -> Vec<(u32, Vec<LogEntry>)> {
        let behind: Vec<u32> = self
            .owned
            .keys()
            .filter(|partition| self.behind_due(partition).is_some_and(|due| due <= now))
            .copied()
            .collect();
        behind
            .into_iter()
            .map(|partition| (partition, self.start(partition, now)))
            .collect()
    }

    /// When a batch behind `partition`'s batch in flight is to be cut, if it has records for one:
    /// [`BEHIND_LEAD`] before the batch in flight is expected to end, going by how long its
    /// batches have run, or at once when as many records are queued as that batch holds. Cut
    /// sooner, it would hold only the records read so far and leave those that come in
    /// meanwhile a whole batch later, with a batch's run mostly the wait for its commit's flush
    /// (on a disk that flushes in milliseconds, requests waited three runs where two do); cut
    /// later, the server would wait for it. Once the queue is as long as the batch in flight,
    /// its run's worth has come in (tenants with a request or two in flight each never wait).
    fn behind_due(&self, partition: &u32) -> Option<Instant> {
        let state = self.owned.get(partition)?;
        if state.queued.is_empty() || !self.may_send_behind(partition) {
            return None;
        }
        let head = self.head.get(partition)?;
        if state.queued.len() >= head.len {
            return Some(head.since);
        }
        let expected = self
            .running_time
            .get(partition)
            .copied()
            .unwrap_or_default();
        Some(head.since + expected.saturating_sub(BEHIND_LEAD))
    }

    /// Whether some partition could send a batch behind the one in flight as soon as records
    /// arrive for it: the log is then read at once rather than when a batch finishes.
    pub(crate) fn wants_behind(&self) -> bool {
        self.owned.iter().any(|(partition, state)| {
            self.may_send_behind(partition)
                && state.paused_until.is_none()
                && state.resume_from.is_none()
        })
    }

    /// Whether `partition` has a batch in flight and room for one behind it, and did not fail
    /// to decide one on what the batch in flight leaves.
    fn may_send_behind(&self, partition: &u32) -> bool {
        (1..IN_FLIGHT_AT_MOST).contains(&self.in_flight_count(partition))
            && !self.waiting.contains(partition)
    }

    /// A batch from [`Self::next_behind`] that could not go: its records are queued again, first,
    /// and the partition waits for its batch in flight to finish.
    pub(crate) fn give_back(&mut self, partition: u32, batch: Vec<LogEntry>) {
        self.end_one(partition);
        self.behind_len.remove(&partition);
        self.waiting.insert(partition);
        if let Some(state) = self.owned.get_mut(&partition) {
            state.queued.splice(0..0, batch);
        }
    }

    fn start(&mut self, partition: u32, now: Instant) -> Vec<LogEntry> {
        let Some(state) = self.owned.get_mut(&partition) else {
            return Vec::new();
        };
        let count = state.queued.len().min(self.max_batch);
        let batch: Vec<LogEntry> = state.queued.drain(..count).collect();
        let in_flight = self.in_flight.entry(partition).or_default();
        *in_flight += 1;
        if *in_flight == 1 {
            let head = Head {
                since: now,
                len: batch.len(),
            };
            self.head.insert(partition, head);
        } else {
            self.behind_len.insert(partition, batch.len());
        }
        batch
    }

    fn end_one(&mut self, partition: u32) {
        if let Some(count) = self.in_flight.get_mut(&partition) {
            *count -= 1;
            if *count == 0 {
                self.in_flight.remove(&partition);
                self.head.remove(&partition);
                self.behind_len.remove(&partition);
            }
        }
    }

    fn in_flight_count(&self, partition: &u32) -> usize {
        self.in_flight.get(partition).copied().unwrap_or(0)
    }

    fn is_in_flight(&self, partition: &u32) -> bool {
        self.in_flight.contains_key(partition)
    }

    /// A batch finished at `now`: the partition may start another, and the one sent behind it,
    /// if any, is running from now on. A batch that succeeded counts in its partition's running
    /// time.
    pub(crate) fn finished(&mut self, partition: u32, succeeded: bool, now: Instant) {
        if let (true, Some(head)) = (succeeded, self.head.get(&partition)) {
            let took = now.saturating_duration_since(head.since);
            let average = self.running_time.entry(partition).or_insert(took);
            *average = (*average * 3 + took) / 4;
        }
        self.end_one(partition);
        if self.is_in_flight(&partition) {
            let len = self.behind_len.remove(&partition).unwrap_or(1);
            self.head.insert(partition, Head { since: now, len });
        }
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
    /// batch wakes the loop anyway, and a pause already over must not keep waking it), or a
    /// batch behind is due to be cut ([`Self::next_behind`] takes those already due).
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        let pauses = self
            .owned
            .iter()
            .filter(|(partition, _)| !self.is_in_flight(partition))
            .filter_map(|(_, state)| state.paused_until);
        let behind = self
            .owned
            .keys()
            .filter_map(|partition| self.behind_due(partition));
        pauses.chain(behind).min()
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
        let (first, batch) = partitions.next_batch(Instant::now()).unwrap();
        assert_eq!((first, batch.len()), (0, 2));
        partitions.offer(vec![entry(0, 2)]);
        let (second, _) = partitions.next_batch(Instant::now()).unwrap();
        assert_eq!(second, 1);
        assert!(
            partitions.next_batch(Instant::now()).is_none(),
            "partition 0 is in flight"
        );
        partitions.finished(0, true, Instant::now());
        assert_eq!(
            partitions.next_batch(Instant::now()).unwrap().1[0]
                .position
                .offset,
            2
        );
    }

    #[test]
    fn a_batch_goes_behind_the_one_in_flight_unless_it_could_not_be_decided_on_it() {
        let mut partitions = Partitions::new(2);
        partitions.assign(0);
        assert!(!partitions.wants_behind(), "nothing in flight");
        partitions.offer(vec![entry(0, 0)]);
        partitions.next_batch(Instant::now()).unwrap();
        assert!(partitions.wants_behind());
        partitions.offer(vec![entry(0, 1), entry(0, 2)]);
        assert!(
            partitions.next_batch(Instant::now()).is_none(),
            "one is in flight"
        );
        let behind = partitions.next_behind(Instant::now());
        assert_eq!(behind.len(), 1);
        assert_eq!(behind[0].1.len(), 2);
        assert!(!partitions.wants_behind(), "two in flight at most");
        partitions.offer(vec![entry(0, 3)]);
        assert!(partitions.next_behind(Instant::now()).is_empty());

        // The second finishes first; the third cannot be decided on what the first leaves: it
        // waits, first in the queue, for the first to finish.
        partitions.finished(0, true, Instant::now());
        let (partition, third) = partitions.next_behind(Instant::now()).pop().unwrap();
        partitions.give_back(partition, third);
        assert!(
            partitions.next_behind(Instant::now()).is_empty(),
            "waits for the one in flight"
        );
        assert!(!partitions.wants_behind());
        partitions.finished(0, true, Instant::now());
        let (_, next) = partitions.next_batch(Instant::now()).unwrap();
        assert_eq!(next[0].position.offset, 3);
    }

    #[test]
    fn a_batch_behind_is_cut_shortly_before_the_one_in_flight_is_expected_to_end() {
        let mut partitions = Partitions::new(10);
        partitions.assign(0);
        let run = Duration::from_millis(10);
        let start = Instant::now();
        // Nothing known of the partition's batches yet: a batch behind goes at once.
        partitions.offer(vec![entry(0, 0), entry(0, 1)]);
        partitions.next_batch(start).unwrap();
        partitions.offer(vec![entry(0, 2)]);
        assert_eq!(partitions.next_wake(), Some(start));
        assert_eq!(partitions.next_behind(start)[0].1.len(), 1);
        // Both took `run` (the one behind from the end of the first).
        let second = start + run;
        partitions.finished(0, true, second);
        partitions.finished(0, true, second + run);

        // A batch of two in flight: a batch behind it waits until `BEHIND_LEAD` before it is
        // expected to end…
        let third = second + run;
        partitions.offer(vec![entry(0, 3), entry(0, 4)]);
        partitions.next_batch(third).unwrap();
        partitions.offer(vec![entry(0, 5)]);
        assert!(partitions.next_behind(third).is_empty(), "not cut at once");
        assert_eq!(partitions.next_wake(), Some(third + run - BEHIND_LEAD));
        // … or until as many records as it holds have come in.
        partitions.offer(vec![entry(0, 6)]);
        assert_eq!(partitions.next_wake(), Some(third));
        assert_eq!(partitions.next_behind(third)[0].1.len(), 2);

        // The one in flight took 2 × `run`: the expected running time moves a quarter of the
        // way, and the batch behind (two records) runs from then on.
        let fourth = third + run * 2;
        partitions.finished(0, true, fourth);
        partitions.offer(vec![entry(0, 7)]);
        let expected = (run * 3 + run * 2) / 4;
        assert_eq!(
            partitions.next_wake(),
            Some(fourth + expected - BEHIND_LEAD)
        );
        // A failed batch does not count, and a partition with nothing in flight has no batch
        // behind to wait for.
        partitions.finished(0, false, fourth + run * 100);
        assert_eq!(partitions.next_wake(), None);
        assert_eq!(partitions.running_time[&0], expected);
    }

    #[test]
    fn a_failed_partition_drops_its_records_and_resumes_from_its_checkpoint() {
        let mut partitions = Partitions::new(10);
        partitions.assign(0);
        partitions.assign(1);
        let now = Instant::now();
        partitions.offer(vec![entry(0, 0)]);
        let (partition, _) = partitions.next_batch(Instant::now()).unwrap();
        partitions.finished(partition, false, Instant::now());
        assert_eq!(partitions.pause(0, now), Some(FIRST_RETRY_DELAY));
        partitions.offer(vec![entry(0, 1), entry(1, 0)]);
        assert_eq!(
            partitions.next_batch(Instant::now()).unwrap().0,
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
        let (_, batch) = partitions.next_batch(Instant::now()).unwrap();
        assert_eq!(batch.len(), 2);
        assert!(
            partitions.take_resumes(Instant::now()).is_empty(),
            "not while a batch is in flight"
        );
        partitions.finished(0, true, Instant::now());
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
        partitions.next_batch(Instant::now()).unwrap();
        let now = Instant::now();
        partitions.pause(0, now);
        assert_eq!(partitions.next_wake(), None);
        assert!(partitions.take_resumes(now + MAX_RETRY_DELAY).is_empty());
        partitions.finished(0, false, Instant::now());
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
