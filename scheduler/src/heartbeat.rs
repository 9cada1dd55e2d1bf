//! Heartbeat timeouts: agents online or degraded whose last heartbeat is older than
//! `offline_after` get an `agent.mark_offline` command naming the heartbeat seen.
//!
//! Safe with several schedulers: the command carries the last heartbeat the scheduler saw, so
//! the projector accepts at most one such command per silence (later ones find the agent
//! already offline, and a heartbeat that reached the log first makes them stale).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use event_log::EventLog;
use read_store::agents::{self, SilentAgent};
use read_store::Store;
use schema::command::MarkAgentOffline;
use schema::{Actor, AgentId, Command, CommandRecord};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// The longest sleep between scans: a heartbeat stream that just started is noticed this late
/// at most (no notification tells the scheduler about new online agents).
const MAX_SLEEP: Duration = Duration::from_secs(5);
const SCAN_LIMIT: i64 = 500;

pub struct HeartbeatMonitor {
    store: Store,
    log: Arc<dyn EventLog>,
    offline_after: Duration,
    /// Agents this process already marked, with the heartbeat it named: not marked again for
    /// the same silence while the projector catches up.
    marked: Mutex<HashMap<AgentId, Option<DateTime<Utc>>>>,
    marked_offline: ops::metrics::Counter,
}

impl HeartbeatMonitor {
    pub fn new(store: Store, log: Arc<dyn EventLog>, offline_after: Duration) -> Self {
        Self::with_metrics(store, log, offline_after, &ops::Metrics::new())
    }

    /// A monitor that counts the agents it marks offline in `metrics`.
    pub fn with_metrics(
        store: Store,
        log: Arc<dyn EventLog>,
        offline_after: Duration,
        metrics: &ops::Metrics,
    ) -> Self {
        Self {
            store,
            log,
            offline_after,
            marked: Mutex::new(HashMap::new()),
            marked_offline: metrics.counter(
                "agenfleet_scheduler_agents_marked_offline_total",
                "Agents marked offline after no heartbeat for AGENFLEET_AGENT_OFFLINE_AFTER",
            ),
        }
    }

    /// One scan: appends a command for every silent agent and says how many.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let before = Utc::now() - chrono::Duration::from_std(self.offline_after)?;
        let silent = {
            let client = self.store.client().await?;
            agents::silent_since(&client, before, SCAN_LIMIT).await?
        };
        let mut marked = self.marked.lock().await;
        marked.retain(|id, _| silent.iter().any(|agent| agent.agent_id == *id));
        let mut appended = 0;
        for SilentAgent {
            tenant_id,
            agent_id,
            last_heartbeat_at,
        } in silent
        {
            if marked.get(&agent_id) == Some(&last_heartbeat_at) {
                continue;
            }
            let command = Command::MarkAgentOffline(MarkAgentOffline {
                agent_id,
                last_heartbeat_at,
            });
            self.log
                .append(&CommandRecord::new(
                    tenant_id,
                    Actor::system("scheduler"),
                    command,
                ))
                .await?;
            marked.insert(agent_id, last_heartbeat_at);
            self.marked_offline.inc();
            appended += 1;
        }
        Ok(appended)
    }

    /// Scans until shutdown, sleeping until the next agent could fall silent (at most
    /// `MAX_SLEEP`). Errors are logged and retried on the next scan.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.run_once().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "marked silent agents offline"),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "heartbeat scan failed")
                }
            }
            let sleep = self.next_due().await.unwrap_or(MAX_SLEEP).min(MAX_SLEEP);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Time until the oldest heartbeat of an online agent becomes too old.
    async fn next_due(&self) -> Option<Duration> {
        let client = self.store.client().await.ok()?;
        let oldest = agents::oldest_heartbeat(&client).await.ok()??;
        let due = oldest + chrono::Duration::from_std(self.offline_after).ok()?;
        Some(
            (due - Utc::now())
                .to_std()
                .unwrap_or(Duration::from_millis(50))
                .max(Duration::from_millis(50)),
        )
    }
}
