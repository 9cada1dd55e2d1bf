//! The topic: created through the admin API when missing (producing does not create it on
//! every broker, tansu among them), refused when it exists with another partition count.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;

use super::context::TracingContext;
use super::settings::{Settings, REQUEST_TIMEOUT};
use super::{kafka_error, metadata_partitions};
use crate::LogError;

pub(super) async fn ensure(settings: &Settings) -> Result<(), LogError> {
    let admin: Arc<AdminClient<TracingContext>> = Arc::new(
        settings
            .admin()
            .create_with_context(TracingContext)
            .map_err(|e| LogError::InvalidUrl(format!("bad Kafka client configuration: {e}")))?,
    );
    let topic = settings.topic.clone();
    let found = {
        let admin = admin.clone();
        let topic = topic.clone();
        metadata_partitions(move |timeout| admin.inner().fetch_metadata(Some(&topic), timeout))
            .await?
    };
    if let Some(found) = found {
        return check(settings, found);
    }
    let new_topic = NewTopic::new(
        &topic,
        settings.partitions as i32,
        TopicReplication::Fixed(settings.replication),
    );
    let options = AdminOptions::new()
        .operation_timeout(Some(REQUEST_TIMEOUT))
        .request_timeout(Some(REQUEST_TIMEOUT));
    let results = admin
        .create_topics([&new_topic], &options)
        .await
        .map_err(kafka_error)?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(LogError::Other(format!(
                    "cannot create topic {name}: {code}"
                )))
            }
        }
    }
    // The topic may take a moment to show in the metadata; the producer needs it there.
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    loop {
        let (admin, name) = (admin.clone(), topic.clone());
        let found =
            metadata_partitions(move |timeout| admin.inner().fetch_metadata(Some(&name), timeout))
                .await?;
        match found {
            Some(found) => return check(settings, found),
            None if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            None => {
                return Err(LogError::Unavailable(format!(
                    "topic {topic} was created but does not show up"
                )))
            }
        }
    }
}

fn check(settings: &Settings, found: u32) -> Result<(), LogError> {
    if found == settings.partitions {
        return Ok(());
    }
    Err(LogError::InvalidUrl(format!(
        "the URL asks for partitions={} but topic {} has {found} partitions; the count cannot change \
         (it decides where each tenant's records live): use partitions={found}",
        settings.partitions, settings.topic
    )))
}
