//! Records to append and a consumer wrapper that keeps track of what it owns.

use std::collections::BTreeSet;
use std::time::Duration;

use event_log::{ConsumerEvent, ConsumerOptions, EventLog, LogConsumer, LogEntry};
use schema::command::{Command, CreateTenant};
use schema::tenant::Plan;
use schema::{Actor, CommandRecord, TenantId};
use tokio::time::Instant;

/// A distinct, valid record of a tenant.
pub fn record(tenant: TenantId, n: usize) -> CommandRecord {
    let command = CreateTenant {
        name: format!("tenant {n}"),
        plan: Plan::Foundation,
        limits: schema::tenant::LimitOverrides {
            per_minute: Some(n as u32),
            per_hour: None,
        },
    };
    CommandRecord::new(
        tenant,
        Actor::system("event-log-test"),
        Command::CreateTenant(command),
    )
}

/// Fresh tenants, at least two of them in different partitions when there are several.
pub fn tenants(log: &dyn EventLog, count: usize) -> Vec<TenantId> {
    loop {
        let tenants: Vec<TenantId> = (0..count).map(|_| TenantId::new()).collect();
        let partitions: BTreeSet<u32> = tenants.iter().map(|t| log.partition_for(*t)).collect();
        if count < 2 || log.partitions() < 2 || partitions.len() > 1 {
            return tenants;
        }
    }
}

pub fn deadline(seconds: u64) -> Instant {
    Instant::now() + Duration::from_secs(seconds)
}

pub fn all_partitions(log: &dyn EventLog) -> BTreeSet<u32> {
    (0..log.partitions()).collect()
}

/// A consumer and the partitions it owns according to the events it was handed.
pub struct Member {
    pub consumer: Box<dyn LogConsumer>,
    pub owned: BTreeSet<u32>,
    /// Every event, for the assertions on their order.
    pub seen: Vec<ConsumerEvent>,
}

impl Member {
    pub async fn join(log: &dyn EventLog, group: &str) -> Self {
        Self::join_as(log, group, None).await
    }

    /// Joins under a name kept across restarts ([`ConsumerOptions::instance`]).
    pub async fn join_as(log: &dyn EventLog, group: &str, instance: Option<&str>) -> Self {
        let options = ConsumerOptions {
            group: group.to_owned(),
            max_batch: 100,
            instance: instance.map(str::to_owned),
        };
        let consumer = log
            .consumer(options)
            .await
            .expect("join the consumer group");
        Self {
            consumer,
            owned: BTreeSet::new(),
            seen: Vec::new(),
        }
    }

    /// One poll; keeps `owned` up to date and checks that records only come from owned
    /// partitions.
    pub async fn poll(&mut self, wait: Duration) -> ConsumerEvent {
        let event = self.consumer.poll(wait).await.expect("poll");
        match &event {
            ConsumerEvent::Assigned(partitions) => self.owned.extend(partitions),
            ConsumerEvent::Revoked(partitions) => partitions.iter().for_each(|p| {
                self.owned.remove(p);
            }),
            ConsumerEvent::Records(entries) => {
                for entry in entries {
                    assert!(
                        self.owned.contains(&entry.position.partition),
                        "record of partition {} handed out before its assignment (owned: {:?})",
                        entry.position.partition,
                        self.owned
                    );
                }
            }
            ConsumerEvent::Idle => {}
        }
        self.seen.push(event.clone());
        event
    }

    /// Polls until `done` holds for this member, or panics at the deadline with `what`.
    pub async fn poll_until(
        &mut self,
        until: Instant,
        what: &str,
        mut done: impl FnMut(&Self) -> bool,
    ) {
        while !done(self) {
            assert!(
                Instant::now() < until,
                "timed out waiting until {what}; events: {:?}",
                summary(&self.seen)
            );
            self.poll(Duration::from_millis(200)).await;
        }
    }

    /// Polls until `count` records of `partition` have arrived after the last assignment
    /// change, seeking each new assignment of it to `from`.
    pub async fn collect(
        &mut self,
        partition: u32,
        from: i64,
        count: usize,
        until: Instant,
    ) -> Vec<LogEntry> {
        let mut entries = Vec::new();
        while entries.len() < count {
            assert!(
                Instant::now() < until,
                "timed out with {} of {count} records of partition {partition}; events: {:?}",
                entries.len(),
                summary(&self.seen)
            );
            match self.poll(Duration::from_millis(200)).await {
                ConsumerEvent::Assigned(partitions) if partitions.contains(&partition) => {
                    entries.clear();
                    self.consumer.seek(partition, from).await.expect("seek");
                }
                ConsumerEvent::Records(batch) => {
                    entries.extend(
                        batch
                            .into_iter()
                            .filter(|e| e.position.partition == partition),
                    );
                }
                _ => {}
            }
        }
        entries
    }
}

/// Events without their records, for failure messages.
pub fn summary(events: &[ConsumerEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| !matches!(e, ConsumerEvent::Idle))
        .map(|event| match event {
            ConsumerEvent::Records(entries) => format!(
                "Records({})",
                entries
                    .iter()
                    .map(|e| format!("{}:{}", e.position.partition, e.position.offset))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            other => format!("{other:?}"),
        })
        .collect()
}
