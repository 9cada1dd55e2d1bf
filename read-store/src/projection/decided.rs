//! Which records a batch accepted, told to the API processes with the checkpoint's advance: a
//! request waiting for a command the batch accepted answers without reading its outcome, one
//! query fewer per write on the path every command waits on.
//!
//! Sent on a channel of its own, before the `partition:offset` notification of
//! [`super::APPLIED_CHANNEL`] in the same transaction (so API processes of an older build, which
//! listen to that one only, are unaffected). The payload is `schema partition first last
//! to_read`: the read-model schema the batch was written to (the server's `current_schema()`:
//! a rebuild writes to another schema than the one the API reads, and its batches must not
//! answer anyone), the batch's offsets `first..=last`, and those among them whose outcome is
//! not "accepted by this record" — rejected, or duplicates of a command decided before —
//! comma-separated. A waiter reads its outcome whenever it is not named accepted by such a
//! notification: one lost, too long to send, or of another schema only costs the read.
//!
//! When the batch accepted messages, a sixth field follows: `offset:sequence` for each, the
//! place in its session each got (which the request posting it answers with, instead of
//! reading the message back). Without messages the payload keeps its five fields, which API
//! processes of an older build read; one with six, they take for no payload (they read).

/// The channel of the notifications.
pub const DECIDED_CHANNEL: &str = "agenfleet_decided";

/// NOTIFY payloads must stay under 8,000 bytes; the schema comes on top of this.
const MAX_PAYLOAD: usize = 7_500;

/// The records of one partition a batch decided, as told by its notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedBatch {
    pub schema: String,
    pub partition: u32,
    pub first: i64,
    pub last: i64,
    /// Sorted.
    to_read: Vec<i64>,
    /// `(offset, sequence)` of the messages the batch accepted, sorted.
    sequences: Vec<(i64, i64)>,
}

/// A record a batch accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub offset: i64,
    /// The sequence it gave the message the record posted, if it posted one.
    pub sequence: Option<i64>,
}

impl DecidedBatch {
    /// Whether this batch accepted the record at `offset` of its partition (`false`: not known
    /// here; read the outcome).
    pub fn accepted(&self, offset: i64) -> bool {
        (self.first..=self.last).contains(&offset) && self.to_read.binary_search(&offset).is_err()
    }

    /// The sequence the batch gave the message the record at `offset` posted, if it told one.
    pub fn sequence(&self, offset: i64) -> Option<i64> {
        let at = self
            .sequences
            .binary_search_by_key(&offset, |(offset, _)| *offset)
            .ok()?;
        Some(self.sequences[at].1)
    }

    /// Reads a notification's payload; `None` if it is not one.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut fields = payload.split(' ');
        let schema = fields.next()?.to_owned();
        let partition = fields.next()?.parse().ok()?;
        let first = fields.next()?.parse().ok()?;
        let last = fields.next()?.parse().ok()?;
        let to_read = fields.next()?;
        let mut to_read: Vec<i64> = if to_read.is_empty() {
            Vec::new()
        } else {
            to_read
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?
        };
        let mut sequences: Vec<(i64, i64)> = match fields.next() {
            None => Vec::new(),
            Some(sequences) => sequences
                .split(',')
                .map(|pair| {
                    let (offset, sequence) = pair.split_once(':')?;
                    Some((offset.parse().ok()?, sequence.parse().ok()?))
                })
                .collect::<Option<_>>()?,
        };
        if fields.next().is_some() || first > last {
            return None;
        }
        to_read.sort_unstable();
        sequences.sort_unstable();
        Some(Self {
            schema,
            partition,
            first,
            last,
            to_read,
            sequences,
        })
    }
}

/// The payload of a batch of `partition` that decided offsets `first..=last` and accepted
/// `accepted`, without its leading schema (the server adds it); `None` when too long to send.
pub fn payload(partition: u32, first: i64, last: i64, accepted: &[Accepted]) -> Option<String> {
    let offsets: std::collections::HashSet<i64> = accepted.iter().map(|a| a.offset).collect();
    let to_read: Vec<String> = (first..=last)
        .filter(|offset| !offsets.contains(offset))
        .map(|offset| offset.to_string())
        .collect();
    let mut payload = format!("{partition} {first} {last} {}", to_read.join(","));
    let sequences: Vec<String> = accepted
        .iter()
        .filter_map(|a| Some(format!("{}:{}", a.offset, a.sequence?)))
        .collect();
    if !sequences.is_empty() {
        payload.push(' ');
        payload.push_str(&sequences.join(","));
    }
    (payload.len() <= MAX_PAYLOAD).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(offsets: &[i64]) -> Vec<Accepted> {
        offsets
            .iter()
            .map(|&offset| Accepted {
                offset,
                sequence: None,
            })
            .collect()
    }

    fn told(partition: u32, first: i64, last: i64, offsets: &[i64]) -> DecidedBatch {
        let payload = payload(partition, first, last, &accepted(offsets)).unwrap();
        DecidedBatch::parse(&format!("readmodel {payload}")).unwrap()
    }

    #[test]
    fn the_sequences_of_accepted_messages_are_told_with_them() {
        let mut records = accepted(&[10, 11, 13]);
        records[0].sequence = Some(7);
        records[2].sequence = Some(1);
        let told_payload = payload(3, 10, 14, &records).unwrap();
        assert_eq!(told_payload, "3 10 14 12,14 10:7,13:1");
        let batch = DecidedBatch::parse(&format!("readmodel {told_payload}")).unwrap();
        let told: Vec<(i64, bool, Option<i64>)> = (9..16)
            .map(|o| (o, batch.accepted(o), batch.sequence(o)))
            .collect();
        assert_eq!(
            told,
            [
                (9, false, None),
                (10, true, Some(7)),
                (11, true, None),
                (12, false, None),
                (13, true, Some(1)),
                (14, false, None),
                (15, false, None),
            ]
        );
        // Without messages, the five fields an older API reads.
        assert_eq!(payload(3, 10, 11, &accepted(&[10])).unwrap(), "3 10 11 11");
    }

    #[test]
    fn only_the_records_the_batch_accepted_are_told_accepted() {
        let batch = told(3, 10, 14, &[10, 11, 13]);
        assert_eq!((batch.schema.as_str(), batch.partition), ("readmodel", 3));
        let accepted: Vec<i64> = (8..17).filter(|o| batch.accepted(*o)).collect();
        assert_eq!(accepted, [10, 11, 13]);
        let all = told(0, 5, 7, &[5, 6, 7]);
        assert!((5..=7).all(|o| all.accepted(o)) && !all.accepted(4) && !all.accepted(8));
        let none = told(0, 5, 5, &[]);
        assert!(!none.accepted(5));
    }

    #[test]
    fn a_batch_with_too_many_records_to_read_is_not_told() {
        assert!(payload(0, 1_000_000, 1_001_000, &[]).is_none());
        let all = accepted(&(1_000_000..=1_001_000).collect::<Vec<_>>());
        assert!(payload(0, 1_000_000, 1_001_000, &all).is_some());
    }

    #[test]
    fn anything_else_is_not_a_payload() {
        for payload in [
            "",
            "readmodel",
            "readmodel 0 1 2",
            "readmodel 0 1 2 3 4",
            "readmodel 0 1 2 3 4:5 6",
            "readmodel 0 1 2  1",
            "readmodel 0 1 2  1:x",
            "readmodel 0 1 2  1:2,",
            "readmodel x 1 2 ",
            "readmodel 0 2 1 ",
            "readmodel 0 1 2 1,x",
            "0:12",
        ] {
            assert_eq!(DecidedBatch::parse(payload), None, "{payload:?}");
        }
    }
}
