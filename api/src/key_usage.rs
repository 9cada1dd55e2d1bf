//! `lastUsedAt` of API keys without a write per request: each API process notes the last use
//! of each key in memory and flushes the notes about once a second, in one statement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use read_store::{api_keys, Store};
use schema::ApiKeyId;
use tokio_util::sync::CancellationToken;

const FLUSH_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct KeyUsage {
    seen: Mutex<HashMap<ApiKeyId, DateTime<Utc>>>,
}

impl KeyUsage {
    pub fn touch(&self, key: ApiKeyId) {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.insert(key, Utc::now());
    }

    fn take(&self) -> Vec<(ApiKeyId, DateTime<Utc>)> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.drain().collect()
    }

    /// Flushes every second until shutdown, and once more then. A failed flush keeps the
    /// notes for the next one.
    pub fn start_flusher(
        self: &Arc<Self>,
        store: Store,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let usage = self.clone();
        tokio::spawn(async move {
            loop {
                let stopping = tokio::select! {
                    _ = shutdown.cancelled() => true,
                    _ = tokio::time::sleep(FLUSH_EVERY) => false,
                };
                let batch = usage.take();
                if !batch.is_empty() {
                    let result = async {
                        let client = store.client().await?;
                        api_keys::record_usage(&client, &batch).await
                    }
                    .await;
                    if let Err(error) = result {
                        tracing::warn!(%error, "cannot record key usage; keeping it for the next flush");
                        let mut seen = usage
                            .seen
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                        for (key, at) in batch {
                            let entry = seen.entry(key).or_insert(at);
                            *entry = (*entry).max(at);
                        }
                    }
                }
                if stopping {
                    return;
                }
            }
        })
    }
}
