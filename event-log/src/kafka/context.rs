//! librdkafka's logs and errors, into `tracing`.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

pub(super) fn log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", facility, "{message}");
        }
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility, "{message}")
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}

pub(super) fn error(error: &KafkaError, reason: &str) {
    match error.rdkafka_error_code() {
        // Reaching the end of a partition is how `read` knows it is done.
        Some(RDKafkaErrorCode::PartitionEOF) => tracing::trace!(target: "librdkafka", "{reason}"),
        // Broker connection errors are retried by librdkafka itself; callers see them as
        // timeouts.
        _ => tracing::warn!(target: "librdkafka", %error, "{reason}"),
    }
}

/// The context of the producer, the admin client and the reader.
#[derive(Clone, Default)]
pub(super) struct TracingContext;

impl ClientContext for TracingContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self::error(&error, reason);
    }
}

impl rdkafka::consumer::ConsumerContext for TracingContext {}
