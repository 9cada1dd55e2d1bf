//! `kafka://`: the log as a Kafka topic, for production on several machines.
//!
//! The producer is idempotent (`enable.idempotence=true`, `acks=all`): a retried send never
//! duplicates or reorders a record. Each record is keyed by its tenant id and sent to the
//! partition [`partition_of`] names, so every backend and the API agree on where a tenant's
//! history lives. Consumers are described in [`consumer`], `read` in [`reader`].

mod consumer;
mod context;
mod reader;
mod settings;
mod topic;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::metadata::Metadata;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use schema::TenantId;

use self::context::TracingContext;
use self::settings::{Settings, REQUEST_TIMEOUT};
use crate::url::LogUrl;
use crate::{ConsumerOptions, EventLog, LogConsumer, LogEntry, LogError, Position};

/// A log on a Kafka topic.
pub struct KafkaLog {
    settings: Arc<Settings>,
    /// The read models' database, where consumers share the partitions ([`Self::beside`]).
    members: Option<tokio_postgres::Config>,
    producer: FutureProducer<TracingContext>,
    reader: reader::Reader,
}

impl KafkaLog {
    /// Connects to the brokers of a `kafka://` URL and creates the topic if it is missing.
    pub async fn connect(url: &str) -> Result<Self, LogError> {
        Self::from_url(LogUrl::parse(url)?).await
    }

    pub(crate) async fn from_url(url: LogUrl) -> Result<Self, LogError> {
        let settings = Arc::new(Settings::from_url(url)?);
        topic::ensure(&settings).await?;
        let producer = settings
            .producer()
            .create_with_context(TracingContext)
            .map_err(|e| LogError::InvalidUrl(format!("bad Kafka producer configuration: {e}")))?;
        let reader = reader::Reader::new(settings.clone());
        Ok(Self {
            settings,
            members: None,
            producer,
            reader,
        })
    }

    /// Makes the read models' database at `read_models_url` the place where this log's consumers
    /// share its partitions (see [`consumer`]); a log without one cannot have consumers.
    pub fn beside(&mut self, read_models_url: &str) -> Result<(), LogError> {
        let config = read_models_url.parse().map_err(|e| {
            LogError::InvalidUrl(format!("the read models' URL is not a Postgres URL: {e}"))
        })?;
        self.members = Some(config);
        Ok(())
    }

    /// The topic the records go to.
    pub fn topic(&self) -> &str {
        &self.settings.topic
    }
}

#[async_trait]
impl EventLog for KafkaLog {
    fn partitions(&self) -> u32 {
        self.settings.partitions
    }

    async fn append_encoded(&self, tenant: TenantId, payload: &[u8]) -> Result<Position, LogError> {
        let partition = self.partition_for(tenant);
        let key = tenant.to_string();
        let message = FutureRecord::to(&self.settings.topic)
            .key(&key)
            .payload(payload)
            .partition(partition as i32);
        // The timeout bounds the wait for room in the local queue; delivery itself is bounded
        // by `message.timeout.ms`.
        match self
            .producer
            .send(message, Timeout::After(REQUEST_TIMEOUT))
            .await
        {
            Ok(delivery) => Ok(Position {
                partition: delivery.partition as u32,
                offset: delivery.offset,
            }),
            Err((error, _)) => Err(LogError::Unavailable(format!(
                "Kafka produce failed: {error}"
            ))),
        }
    }

    async fn read(
        &self,
        partition: u32,
        from_offset: i64,
        max: usize,
    ) -> Result<Vec<LogEntry>, LogError> {
        if partition >= self.settings.partitions {
            return Err(LogError::Other(format!("no partition {partition}")));
        }
        self.reader.read(partition, from_offset, max).await
    }

    async fn consumer(&self, options: ConsumerOptions) -> Result<Box<dyn LogConsumer>, LogError> {
        let Some(members) = self.members.clone() else {
            return Err(LogError::Other(
                "a Kafka log's consumers share its partitions in the read models' Postgres \
                 database: open the log with `connect_beside`"
                    .to_owned(),
            ));
        };
        Ok(Box::new(
            consumer::KafkaConsumer::join(&self.settings, members, options).await?,
        ))
    }

    async fn end_offsets(&self) -> Result<Vec<i64>, LogError> {
        let producer = self.producer.clone();
        let (topic, partitions) = (self.settings.topic.clone(), self.settings.partitions);
        tokio::task::spawn_blocking(move || {
            (0..partitions as i32)
                .map(|partition| {
                    producer
                        .client()
                        .fetch_watermarks(&topic, partition, REQUEST_TIMEOUT)
                        .map(|(_, high)| high)
                        .map_err(|e| LogError::Unavailable(format!("Kafka watermarks: {e}")))
                })
                .collect()
        })
        .await
        .map_err(|e| LogError::Other(format!("watermark task: {e}")))?
    }

    async fn ping(&self) -> Result<(), LogError> {
        let producer = self.producer.clone();
        let topic = self.settings.topic.clone();
        let timeout = Duration::from_secs(2);
        match metadata_partitions(move |_| producer.client().fetch_metadata(Some(&topic), timeout))
            .await?
        {
            Some(_) => Ok(()),
            None => Err(LogError::Unavailable(format!(
                "topic {} is missing",
                self.settings.topic
            ))),
        }
    }
}

/// Runs a blocking metadata request off the async threads; the partition count of the topic
/// it asked about, `None` if the topic does not exist.
pub(super) async fn metadata_partitions<F>(fetch: F) -> Result<Option<u32>, LogError>
where
    F: FnOnce(Duration) -> KafkaResult<Metadata> + Send + 'static,
{
    let metadata = tokio::task::spawn_blocking(move || fetch(REQUEST_TIMEOUT))
        .await
        .map_err(|e| LogError::Other(format!("metadata request panicked: {e}")))?
        .map_err(|e| LogError::Unavailable(format!("Kafka metadata request failed: {e}")))?;
    let Some(topic) = metadata.topics().first() else {
        return Ok(None);
    };
    if topic.error().is_some() || topic.partitions().is_empty() {
        return Ok(None);
    }
    Ok(Some(topic.partitions().len() as u32))
}

pub(super) fn kafka_error(error: KafkaError) -> LogError {
    LogError::Unavailable(format!("Kafka: {error}"))
}
