//! What a `kafka://` URL says, and the librdkafka configuration of each client built from it.
//!
//! `kafka://host:port[,host:port]?topic=agenfleet.commands&partitions=12[&replication=1]`;
//! every parameter with a dot in its name is a librdkafka property (`fetch.wait.max.ms=50`)
//! and overrides the defaults below.

use std::time::Duration;

use rdkafka::ClientConfig;

use crate::url::LogUrl;
use crate::LogError;

const DEFAULT_TOPIC: &str = "agenfleet.commands";
const DEFAULT_PARTITIONS: u32 = 12;

/// Bounds each blocking metadata, seek and admin call.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Properties that only mean something to a consumer, or only to a producer; librdkafka warns
/// about the others' properties, so each client only gets its own.
const CONSUMER_ONLY: &[&str] = &[
    "session.",
    "heartbeat.",
    "max.poll.",
    "group.",
    "partition.assignment.",
    "fetch.",
    "auto.",
    "enable.auto.",
    "isolation.",
    "queued.",
];
const PRODUCER_ONLY: &[&str] = &[
    "message.timeout.",
    "linger.",
    "batch.",
    "queue.buffering.",
    "compression.",
    "acks",
    "enable.idempotence",
    "retries",
];

/// How much a consumer fetches ahead of what it has handed out. librdkafka's defaults (64 MiB
/// queued, 100,000 records per partition, 50 MiB per fetch) let a projector reading a large
/// backlog grow past 140 MiB; a batch is at most a few thousand records of a few hundred bytes,
/// so 8 MiB ahead keeps it busy (measured in docs/BENCHMARKS.md, "Memory on a backlog").
const PREFETCH_KBYTES: (&str, &str) = ("queued.max.messages.kbytes", "8192");
const PREFETCH_MESSAGES: (&str, &str) = ("queued.min.messages", "10000");
const FETCH_BYTES: (&str, &str) = ("fetch.max.bytes", "8388608");

#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub bootstrap: String,
    pub topic: String,
    pub partitions: u32,
    pub replication: i32,
    /// librdkafka properties from the URL.
    overrides: Vec<(String, String)>,
}

impl Settings {
    pub fn from_url(mut url: LogUrl) -> Result<Self, LogError> {
        let bootstrap = url.authority.trim_end_matches('/').to_owned();
        if bootstrap.is_empty() {
            return Err(LogError::InvalidUrl(
                "kafka:// needs at least one host:port".to_owned(),
            ));
        }
        let topic = url
            .take("topic")
            .unwrap_or_else(|| DEFAULT_TOPIC.to_owned());
        if topic.is_empty() {
            return Err(LogError::InvalidUrl("`topic` must not be empty".to_owned()));
        }
        let partitions = url.take_number("partitions", DEFAULT_PARTITIONS, 1)?;
        let replication = url.take_number("replication", 1, 1)? as i32;
        let (overrides, unknown): (Vec<_>, Vec<_>) =
            url.params.drain(..).partition(|(key, _)| key.contains('.'));
        if let Some((key, _)) = unknown.first() {
            return Err(LogError::InvalidUrl(format!(
                "unknown parameter `{key}` (librdkafka properties have a dot in their name)"
            )));
        }
        Ok(Self {
            bootstrap,
            topic,
            partitions,
            replication,
            overrides,
        })
    }

    fn config(&self, role: Role, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap)
            .set("client.id", "agenfleet-event-log")
            // Only the admin API creates the topic, with the right partition count.
            .set("allow.auto.create.topics", "false");
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.overrides {
            let foreign = match role {
                Role::Producer => CONSUMER_ONLY,
                Role::Consumer => PRODUCER_ONLY,
                Role::Admin => continue,
            };
            if !foreign.iter().any(|prefix| key.starts_with(prefix)) {
                config.set(key, value);
            }
        }
        config
    }

    pub fn admin(&self) -> ClientConfig {
        self.config(Role::Admin, &[])
    }

    /// Idempotent, so a retried send never duplicates or reorders a record.
    pub fn producer(&self) -> ClientConfig {
        self.config(
            Role::Producer,
            &[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("message.timeout.ms", "15000"),
            ],
        )
    }

    /// A projector's consumer: assigned its partitions by hand, at offsets it is given (the
    /// projector's checkpoint is the truth; who owns which partition is decided in Postgres, see
    /// `consumer`). librdkafka wants a group id even to assign; it never joins nor commits.
    pub fn owner(&self, group: &str) -> ClientConfig {
        self.config(
            Role::Consumer,
            &[
                ("group.id", group),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "earliest"),
                // Some brokers (tansu) hold an empty fetch for this long even when records
                // arrive meanwhile, which would delay every command by up to 500 ms (the
                // default). Kafka answers as soon as records arrive, so there it only sets how
                // often an idle consumer asks.
                ("fetch.wait.max.ms", "100"),
                PREFETCH_KBYTES,
                PREFETCH_MESSAGES,
                FETCH_BYTES,
            ],
        )
    }

    /// A consumer assigned by hand, that says when it reached the end. librdkafka wants a
    /// group id even to assign; this one never joins nor commits.
    pub fn reader(&self) -> ClientConfig {
        self.config(
            Role::Consumer,
            &[
                ("group.id", "agenfleet-event-log-reader"),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("enable.partition.eof", "true"),
                ("auto.offset.reset", "latest"),
                // The end of the partition is only known from an answer; do not let the broker
                // hold an empty one.
                ("fetch.wait.max.ms", "10"),
                PREFETCH_KBYTES,
                PREFETCH_MESSAGES,
                FETCH_BYTES,
            ],
        )
    }
}

#[derive(Clone, Copy)]
enum Role {
    Admin,
    Producer,
    Consumer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> Result<Settings, LogError> {
        Settings::from_url(LogUrl::parse(url).unwrap())
    }

    #[test]
    fn defaults_and_parameters() {
        let s = settings("kafka://a:9092,b:9092").unwrap();
        assert_eq!(
            (s.bootstrap.as_str(), s.topic.as_str(), s.partitions),
            ("a:9092,b:9092", DEFAULT_TOPIC, 12)
        );
        let s = settings("kafka://a:9092/?topic=t&partitions=3&fetch.wait.max.ms=50").unwrap();
        assert_eq!(
            (s.bootstrap.as_str(), s.topic.as_str(), s.partitions),
            ("a:9092", "t", 3)
        );
        assert_eq!(s.owner("g").get("fetch.wait.max.ms"), Some("50"));
        assert_eq!(s.owner("g").get("group.id"), Some("g"));
        assert_eq!(s.producer().get("fetch.wait.max.ms"), None);
    }

    #[test]
    fn unknown_parameters_and_missing_hosts_are_refused() {
        assert!(settings("kafka://a:9092?topics=t").is_err());
        assert!(settings("kafka://?topic=t").is_err());
    }
}
