//! The delivery loop: claim what is due (within the concurrency limits, overall and per
//! target), send each attempt on its own task, record the results in batches, and report what
//! matters to the domain (a delivery failed for good, an endpoint to disable) as commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use event_log::EventLog;
use read_store::dispatch_queue::{self, AttemptResult, Claimed, Next};
use read_store::Store;
use schema::command::{DisableWebhook, RecordCronDelivery, RecordDeliveryFailure};
use schema::{Actor, Command, CommandRecord};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use webhooks::keyring::Keyring;
use webhooks::target::TargetPolicy;

use crate::cron_output::{self, ChannelSettings, Outgoing};
use crate::metrics::{status_class, watch_queue, Metrics};
use crate::policy;
use crate::send::{self, Answer, Attempted};

/// The longest sleep without a notification (a safety net for lost notifications).
const MAX_IDLE: Duration = Duration::from_secs(2);
/// How often endpoints that keep failing are looked for.
const HEALTH_CHECK_EVERY: Duration = Duration::from_secs(1);
/// Extra lease time beyond the attempt timeout.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// Attempt results recorded in one statement at most.
const RECORD_BATCH: usize = 512;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry_schedule: Vec<Duration>,
    pub timeout: Duration,
    pub disable_after: Duration,
    pub policy: TargetPolicy,
    pub concurrency: usize,
    pub concurrency_per_target: usize,
    /// Where cron runs' output goes (Telegram, SMTP).
    pub channels: ChannelSettings,
}

/// A finished attempt and the command it calls for, if any.
struct Finished {
    result: AttemptResult,
    command: Option<(schema::TenantId, Command)>,
}

pub struct Dispatcher {
    store: Store,
    log: Arc<dyn EventLog>,
    keyring: Keyring,
    /// For customers' URLs: through the SSRF guard.
    client: reqwest::Client,
    /// For endpoints the operator configured (the Telegram API).
    trusted_client: reqwest::Client,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    settings: Settings,
    metrics: Metrics,
}

/// In-flight attempts per target, shared by the claim loop and the attempt tasks.
#[derive(Default)]
struct InFlight {
    total: usize,
    by_target: HashMap<String, usize>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        log: Arc<dyn EventLog>,
        keyring: Keyring,
        settings: Settings,
        metrics: &ops::Metrics,
    ) -> anyhow::Result<Self> {
        let client = webhooks::target::http_client(settings.policy, settings.timeout);
        let trusted_client = webhooks::target::http_client(
            TargetPolicy {
                allow_private: true,
            },
            settings.timeout,
        );
        let smtp = cron_output::smtp_transport(&settings.channels, settings.timeout)?;
        watch_queue(metrics, store.clone());
        Ok(Self {
            store,
            log,
            keyring,
            client,
            trusted_client,
            smtp,
            settings,
            metrics: Metrics::new(metrics),
        })
    }

    /// Delivers until `shutdown`, waking on `due` (new deliveries), then lets the attempts in
    /// flight finish (within `drain`) and records them.
    pub async fn run(self, due: Arc<Notify>, shutdown: CancellationToken, drain: Duration) {
        let this = Arc::new(self);
        let in_flight = Arc::new(Mutex::new(InFlight::default()));
        let freed = Arc::new(Notify::new());
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(this.clone().record_loop(finished_rx, due.clone()));
        let mut attempts = tokio::task::JoinSet::new();
        while !shutdown.is_cancelled() {
            let claimed = match this.claim(&in_flight).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "claiming deliveries failed");
                    Vec::new()
                }
            };
            let took = claimed.len();
            for delivery in claimed {
                let this = this.clone();
                let (in_flight, freed, finished) =
                    (in_flight.clone(), freed.clone(), finished_tx.clone());
                attempts.spawn(async move {
                    let target = delivery.target.clone();
                    let done = this.attempt(delivery).await;
                    this.metrics.in_flight.dec();
                    {
                        let mut counts = in_flight.lock().expect("in-flight lock");
                        counts.total -= 1;
                        if let Some(count) = counts.by_target.get_mut(&target) {
                            *count -= 1;
                            if *count == 0 {
                                counts.by_target.remove(&target);
                            }
                        }
                    }
                    freed.notify_one();
                    let _ = finished.send(done);
                });
            }
            while attempts.try_join_next().is_some() {}
            if took > 0 && this.has_room(&in_flight) {
                continue;
            }
            let wait = this.idle_wait().await;
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = due.notified() => {}
                _ = freed.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let finishing = async { while attempts.join_next().await.is_some() {} };
        if ops::shutdown::drain(drain, finishing).await.is_err() {
            tracing::warn!("attempts still in flight at shutdown; their leases will run out and they will be retried");
        }
        drop(finished_tx);
        let _ = recorder.await;
    }

    fn has_room(&self, in_flight: &Mutex<InFlight>) -> bool {
        in_flight.lock().expect("in-flight lock").total < self.settings.concurrency
    }

    /// Claims what the free slots allow, and counts the claimed attempts in flight.
    async fn claim(&self, in_flight: &Mutex<InFlight>) -> anyhow::Result<Vec<Claimed>> {
        let per_target = self.settings.concurrency_per_target;
        let (slots, room) = {
            let counts = in_flight.lock().expect("in-flight lock");
            let slots = self.settings.concurrency.saturating_sub(counts.total);
            let room: HashMap<String, i64> = counts
                .by_target
                .iter()
                .map(|(target, n)| (target.clone(), per_target.saturating_sub(*n) as i64))
                .collect();
            (slots, room)
        };
        if slots == 0 {
            return Ok(Vec::new());
        }
        let token = ulid::Ulid::new().to_string();
        let client = self.store.client().await?;
        let claimed = dispatch_queue::claim(
            &client,
            slots as i64,
            per_target as i64,
            &room,
            self.settings.timeout + LEASE_MARGIN,
            &token,
        )
        .await?;
        let mut counts = in_flight.lock().expect("in-flight lock");
        for delivery in &claimed {
            if delivery.lease_expired {
                self.metrics.leases_expired.inc();
            }
            counts.total += 1;
            *counts.by_target.entry(delivery.target.clone()).or_default() += 1;
            self.metrics.in_flight.inc();
        }
        Ok(claimed)
    }

    /// How long to sleep when nothing more can be claimed: until the next delivery is due, at
    /// most `MAX_IDLE`. Deliveries already due wait for their target to free a slot (the loop
    /// wakes on that), not for a timer: polling for them would spin while a target is busy.
    async fn idle_wait(&self) -> Duration {
        let next = match self.store.client().await {
            Ok(client) => dispatch_queue::next_due(&client).await.ok().flatten(),
            Err(_) => None,
        };
        match next.map(|at| (at - Utc::now()).to_std()) {
            Some(Ok(wait)) => wait.clamp(Duration::from_millis(5), MAX_IDLE),
            Some(Err(_)) | None => MAX_IDLE,
        }
    }

    /// Builds what a delivery sends and sends it once, within the attempt timeout.
    async fn send(&self, delivery: &Claimed) -> Result<Attempted, send::Unsendable> {
        let prepared = match &delivery.cron {
            Some(output) => match cron_output::prepare(
                delivery,
                output,
                &self.keyring,
                self.settings.policy,
                &self.settings.channels,
            )? {
                Outgoing::Http(prepared) => prepared,
                Outgoing::Email(message) => {
                    return Ok(cron_output::send_email(
                        self.smtp.as_ref(),
                        *message,
                        self.settings.timeout,
                    )
                    .await)
                }
            },
            None => send::prepare(delivery, &self.keyring, self.settings.policy)?,
        };
        let client = if prepared.trusted {
            &self.trusted_client
        } else {
            &self.client
        };
        Ok(send::post(client, &prepared, &delivery.event_id, self.settings.timeout).await)
    }

    /// Makes one attempt and decides what follows it.
    async fn attempt(&self, delivery: Claimed) -> Finished {
        let attempts = delivery.attempts as u32 + 1;
        let mut result = AttemptResult {
            delivery_id: delivery.id.clone(),
            lease_token: delivery.lease_token.clone(),
            tenant_id: delivery.tenant_id,
            target: delivery.target.clone(),
            at: Utc::now(),
            status_code: None,
            duration_ms: 0,
            error: None,
            next: Next::Failed,
            counts_for_health: false,
        };
        let Attempted { answer, note, took } = match self.send(&delivery).await {
            Ok(sent) => sent,
            Err(send::Unsendable(reason)) => {
                // Nothing was sent: the delivery fails now, without retries.
                result.error = Some(storable(&reason));
                let command = outcome_command(&delivery, &result, attempts, false);
                return Finished {
                    command: command.map(|command| (delivery.tenant_id, command)),
                    result,
                };
            }
        };
        self.metrics.duration.observe_duration(took);
        result.duration_ms = took.as_millis().min(i32::MAX as u128) as u32;
        result.counts_for_health = true;
        let retry_after = match &answer {
            // The status decides; a body cut at its limits does not undo a 2xx (the receiver
            // has the event), but the attempt log says so.
            Answer::Success(status) => {
                result.status_code = Some(*status);
                result.error = note;
                result.next = Next::Succeeded;
                None
            }
            Answer::Gone => {
                result.status_code = Some(410);
                result.error = Some(with_note("410 Gone: the endpoint asked to stop", note));
                None
            }
            Answer::Failure {
                status,
                retry_after,
            } => {
                result.status_code = Some(*status);
                result.error = Some(with_note(&format!("HTTP {status}"), note));
                Some(*retry_after)
            }
            Answer::Error(error) => {
                result.error = Some(error.clone());
                Some(None)
            }
        };
        if let Some(retry_after) = retry_after {
            let delay = policy::next_delay(
                &self.settings.retry_schedule,
                attempts,
                policy::jitter(),
                retry_after,
            );
            result.next = match delay {
                Some(delay) => {
                    Next::RetryAt(result.at + chrono::Duration::from_std(delay).unwrap_or_default())
                }
                None => Next::Failed,
            };
        }
        result.error = result.error.as_deref().map(storable);
        let command = outcome_command(&delivery, &result, attempts, answer == Answer::Gone);
        Finished {
            command: command.map(|command| (delivery.tenant_id, command)),
            result,
        }
    }

    /// Records finished attempts in batches, then appends the commands of those whose lease
    /// still held, and disables endpoints that keep failing. Wakes the claim loop after each
    /// batch: a retry time recorded may be sooner than the loop's sleep.
    async fn record_loop(
        self: Arc<Self>,
        mut finished: mpsc::UnboundedReceiver<Finished>,
        recorded: Arc<Notify>,
    ) {
        let mut last_health_check = tokio::time::Instant::now();
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        while finished.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            let pending = std::mem::take(&mut batch);
            loop {
                match self.record(&pending).await {
                    Ok(()) => break,
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "recording attempts failed; retrying");
                        // A result recorded after its lease ran out is ignored (the
                        // delivery was sent again); until then it is worth keeping.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
            recorded.notify_one();
            if last_health_check.elapsed() >= HEALTH_CHECK_EVERY {
                last_health_check = tokio::time::Instant::now();
                if let Err(error) = self.disable_failing().await {
                    tracing::warn!(error = %format!("{error:#}"), "checking failing endpoints failed");
                }
            }
        }
    }

    async fn record(&self, finished: &[Finished]) -> anyhow::Result<()> {
        let results: Vec<AttemptResult> = finished.iter().map(|f| f.result.clone()).collect();
        let recorded = {
            let client = self.store.client().await?;
            dispatch_queue::record(&client, &results).await?
        };
        for done in finished {
            let outcome = match done.result.next {
                Next::Succeeded => "succeeded",
                Next::RetryAt(_) => "retrying",
                Next::Failed => "failed",
            };
            let class = status_class(done.result.status_code);
            if let Some(counter) = self.metrics.attempts.get(&(outcome, class)) {
                counter.inc();
            }
            if !recorded.contains(&done.result.delivery_id) {
                continue;
            }
            if let Some((tenant, command)) = &done.command {
                self.append(*tenant, command.clone()).await?;
                if matches!(command, Command::DisableWebhook(_)) {
                    // The receiver answered 410 Gone.
                    self.metrics.endpoints_disabled.inc();
                }
            }
        }
        Ok(())
    }

    async fn append(&self, tenant: schema::TenantId, command: Command) -> anyhow::Result<()> {
        let record = CommandRecord::new(tenant, Actor::system("webhook-dispatcher"), command);
        self.log.append(&record).await?;
        Ok(())
    }

    /// Asks for every endpoint failing without a success for `disable_after` to be disabled.
    async fn disable_failing(&self) -> anyhow::Result<()> {
        let before = Utc::now() - chrono::Duration::from_std(self.settings.disable_after)?;
        let client = self.store.client().await?;
        for (tenant, webhook, since) in dispatch_queue::failing_endpoints(&client, before).await? {
            let Ok(webhook_id) = webhook.parse() else {
                continue;
            };
            let reason = format!(
                "Every delivery has failed since {} (more than {})",
                since.format("%Y-%m-%dT%H:%M:%SZ"),
                humantime::format_duration(self.settings.disable_after)
            );
            self.append(
                tenant,
                Command::DisableWebhook(DisableWebhook { webhook_id, reason }),
            )
            .await?;
            dispatch_queue::reset_failing(&client, &webhook).await?;
            self.metrics.endpoints_disabled.inc();
            tracing::info!(%tenant, webhook, "disabled an endpoint that keeps failing");
        }
        Ok(())
    }
}

/// The most of an attempt's error kept (in the attempt log and the commands it leads to).
const MAX_ERROR_CHARS: usize = 1_000;

/// An attempt's error as it may be stored and appended: error texts can carry what a remote
/// server said (an SMTP reply, a TLS alert), so control characters are shown escaped (U+0000
/// cannot be stored at all) and the text is cut at [`MAX_ERROR_CHARS`].
fn storable(error: &str) -> String {
    domain::validate::escape_controls(error, MAX_ERROR_CHARS)
}

/// An attempt's error with what went wrong reading the rest of the answer, if anything.
fn with_note(error: &str, note: Option<String>) -> String {
    match note {
        Some(note) => format!("{error}; {note}"),
        None => error.to_owned(),
    }
}

/// The command an attempt's outcome calls for: a cron run's delivery result (delivered, or
/// failed for good); for a webhook, disabling it after `410 Gone`; a delivery failure entry
/// once the schedule is used up.
fn outcome_command(
    delivery: &Claimed,
    result: &AttemptResult,
    attempts: u32,
    gone: bool,
) -> Option<Command> {
    let final_failure = result.next == Next::Failed;
    if let Some(output) = &delivery.cron {
        let run_id = output.run_id.parse().ok()?;
        return match result.next {
            Next::Succeeded => Some(Command::RecordCronDelivery(RecordCronDelivery {
                run_id,
                delivered: true,
                reason: None,
            })),
            Next::Failed => Some(Command::RecordCronDelivery(RecordCronDelivery {
                run_id,
                delivered: false,
                reason: Some(format!(
                    "the output could not be delivered after {attempts} attempt{}: {}",
                    if attempts == 1 { "" } else { "s" },
                    result.error.as_deref().unwrap_or("no answer")
                )),
            })),
            Next::RetryAt(_) => None,
        };
    }
    let webhook_id = delivery
        .webhook_id
        .as_deref()
        .and_then(|id| id.parse().ok());
    if gone {
        return webhook_id.map(|webhook_id| {
            Command::DisableWebhook(DisableWebhook {
                webhook_id,
                reason: format!(
                    "The endpoint answered 410 Gone at {}",
                    result.at.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            })
        });
    }
    if !final_failure || !result.counts_for_health {
        return None;
    }
    Some(Command::RecordDeliveryFailure(RecordDeliveryFailure {
        delivery_id: delivery.id.parse().ok()?,
        webhook_id,
        agent_id: delivery.agent_id.as_deref().and_then(|id| id.parse().ok()),
        event_id: delivery.event_id.parse().ok()?,
        event_type: delivery.event_type.clone(),
        attempts,
        last_status_code: result.status_code,
        last_error: result.error.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::storable;

    #[test]
    fn stored_errors_hold_no_control_characters_and_stay_short() {
        assert_eq!(
            storable("550 no\u{0}such\r\nuser"),
            "550 no\\u{0}such\\u{d}\\u{a}user"
        );
        let long = "x".repeat(5_000);
        assert_eq!(storable(&long).chars().count(), 1_001);
    }
}
