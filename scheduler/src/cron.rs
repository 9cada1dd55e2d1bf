//! Cron fires: finds jobs whose `nextRunAt` has come, claims each `(job, scheduledFor)` so one
//! scheduler appends it however many run, and appends `cron.fire` (or, for fires missed by
//! more than the catch-up window, `cron.skip_missed`). Also fails runs whose agent has not
//! replied within the run timeout (`cron.time_out`).
//!
//! It sleeps until the next due time, and wakes early when the projector commits a change of
//! cron jobs (a new or changed job may be due sooner): idle between fires, it does no work.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::schedule::Schedule;
use event_log::EventLog;
use read_store::cron::{self, DueFire};
use read_store::Store;
use schema::command::{FireCronJob, SkipMissedFires, TimeOutCronRun};
use schema::{Actor, Command, CommandRecord, TenantId};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Due jobs read per page of a scan (a scan reads every page).
const SCAN_PAGE: i64 = 2_000;
/// Appends in flight at once (the Postgres log groups concurrent appends).
const APPEND_CONCURRENCY: usize = 256;
/// The longest sleep without a notification (a safety net for lost notifications).
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// A claim whose fire is still not applied after this long is taken over by another scheduler.
const STALE_CLAIM: Duration = Duration::from_secs(30);
/// Most missed fires counted when skipping a long downtime.
const MAX_MISSED: u32 = 100_000;

#[derive(Debug, Clone, Copy)]
pub struct CronSettings {
    /// How late a missed fire may still run.
    pub catchup_window: Duration,
    /// How long a run waits for the agent's reply.
    pub run_timeout: Duration,
}

pub struct CronScheduler {
    store: Store,
    log: Arc<dyn EventLog>,
    settings: CronSettings,
    metrics: CronMetrics,
}

/// What `/metrics` shows of cron.
struct CronMetrics {
    fired: ops::metrics::Counter,
    caught_up: ops::metrics::Counter,
    skipped: ops::metrics::Counter,
    lateness: ops::metrics::Histogram,
}

/// Lateness buckets: well under a second when all is well, up to the catch-up window's
/// default (5 min) and beyond when schedulers are behind.
const LATENESS_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

impl CronMetrics {
    /// Also reads `agenfleet_scheduler_jobs_due_next_minute` from `store` at each scrape.
    fn new(metrics: &ops::Metrics, store: Store) -> Self {
        let fires = |outcome: &str| {
            metrics.counter_with(
                "agenfleet_scheduler_fires_total",
                "Cron fires by outcome: fired (on time), caught_up (late, within the catch-up \
                 window, after skipped ones), skipped (missed by more than the window)",
                &[("outcome", outcome)],
            )
        };
        let (fired, caught_up, skipped) = (fires("fired"), fires("caught_up"), fires("skipped"));
        let due = metrics.gauge(
            "agenfleet_scheduler_jobs_due_next_minute",
            "Enabled cron jobs whose next fire is within 60 s (overdue ones included)",
        );
        metrics.add_collector("cron jobs due", move || {
            let (store, due) = (store.clone(), due.clone());
            async move {
                let client = store.client().await.map_err(|e| e.to_string())?;
                let count = cron::due_within(&client, Duration::from_secs(60))
                    .await
                    .map_err(|e| e.to_string())?;
                due.set(count);
                Ok(())
            }
        });
        Self {
            fired,
            caught_up,
            skipped,
            lateness: metrics.histogram(
                "agenfleet_scheduler_fire_lateness_seconds",
                "A fire's append to the log minus its scheduled time",
                LATENESS_BUCKETS,
            ),
        }
    }
}

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub fired: usize,
    pub skipped: usize,
    pub timed_out: usize,
}

impl CronScheduler {
    pub fn new(store: Store, log: Arc<dyn EventLog>, settings: CronSettings) -> Self {
        Self::with_metrics(store, log, settings, &ops::Metrics::new())
    }

    /// A scheduler that counts its fires in `metrics`.
    pub fn with_metrics(
        store: Store,
        log: Arc<dyn EventLog>,
        settings: CronSettings,
        metrics: &ops::Metrics,
    ) -> Self {
        Self {
            metrics: CronMetrics::new(metrics, store.clone()),
            store,
            log,
            settings,
        }
    }

    /// One scan at `now`: every due fire this scheduler claims is appended; overdue runs
    /// time out.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<Scan> {
        let mut scan = Scan::default();
        // Every due job, page after page: the fires of a busy minute are all appended in this
        // one pass, whatever the projector has applied so far.
        let mut cursor = None;
        loop {
            let client = self.store.client().await?;
            let due = cron::due(&client, now, cursor.as_ref(), SCAN_PAGE).await?;
            let keys: Vec<_> = due
                .iter()
                .map(|fire| (fire.cron_job_id, fire.scheduled_for))
                .collect();
            let claimed = cron::claim_fires(&client, &keys, STALE_CLAIM).await?;
            drop(client);
            let mut records = Vec::new();
            // Each fire's scheduled time and whether it comes after skipped ones.
            let mut fires = Vec::new();
            let mut skipped_now = 0;
            for fire in &due {
                if !claimed.contains(&(fire.cron_job_id, fire.scheduled_for)) {
                    continue;
                }
                let (commands, skipped) = self.commands_for(fire, now);
                skipped_now += u64::from(skipped);
                for command in &commands {
                    if let Command::FireCronJob(fire) = command {
                        fires.push((fire.scheduled_for, skipped > 0));
                    }
                }
                records.extend(commands.into_iter().map(|c| record(fire.tenant_id, c)));
            }
            self.append_all(records).await?;
            self.count_fires(&fires, skipped_now);
            scan.skipped += skipped_now as usize;
            scan.fired += fires.len();
            match due.last() {
                Some(last) if due.len() as i64 == SCAN_PAGE => {
                    cursor = Some((
                        last.scheduled_for,
                        last.tenant_id.to_string(),
                        last.cron_job_id.to_string(),
                    ))
                }
                _ => break,
            }
        }
        scan.timed_out = self.time_out_runs(now).await?;
        Ok(scan)
    }

    /// Counts appended fires by outcome, with their lateness.
    fn count_fires(&self, fires: &[(DateTime<Utc>, bool)], skipped: u64) {
        let appended = Utc::now();
        for (scheduled_for, after_skipped) in fires {
            let counter = if *after_skipped {
                &self.metrics.caught_up
            } else {
                &self.metrics.fired
            };
            counter.inc();
            let late = (appended - *scheduled_for).to_std().unwrap_or_default();
            self.metrics.lateness.observe_duration(late);
        }
        self.metrics.skipped.inc_by(skipped);
    }

    /// The commands of one due fire: fire it if it is within the catch-up window; otherwise
    /// skip every missed fire up to now, and fire the last one if it is recent enough.
    fn commands_for(&self, fire: &DueFire, now: DateTime<Utc>) -> (Vec<Command>, u32) {
        let window = chrono::Duration::from_std(self.settings.catchup_window).unwrap_or_default();
        let fire_at = |scheduled_for| {
            Command::FireCronJob(FireCronJob {
                cron_job_id: fire.cron_job_id,
                agent_id: fire.agent_id,
                scheduled_for,
            })
        };
        if now - fire.scheduled_for <= window {
            return (vec![fire_at(fire.scheduled_for)], 0);
        }
        // Every fire time from the missed one up to now.
        let Ok(schedule) = Schedule::parse(&fire.schedule, &fire.timezone) else {
            return (Vec::new(), 0);
        };
        let (mut last, mut count) = (fire.scheduled_for, 1u32);
        while let Some(next) = schedule.next_after(last).filter(|next| *next <= now) {
            if count >= MAX_MISSED {
                break;
            }
            last = next;
            count += 1;
        }
        let recent = now - last <= window && last != fire.scheduled_for;
        let (to, skipped) = if recent {
            // The fire before `last`: the last one skipped.
            let mut previous = fire.scheduled_for;
            let mut cursor = fire.scheduled_for;
            while let Some(next) = schedule.next_after(cursor).filter(|next| *next < last) {
                previous = next;
                cursor = next;
            }
            (previous, count - 1)
        } else {
            (last, count)
        };
        let reason = format!(
            "missed by more than the catch-up window ({}): {skipped} fire{} from {} to {} \
             (no scheduler was running)",
            humantime::format_duration(self.settings.catchup_window),
            if skipped == 1 { "" } else { "s" },
            fire.scheduled_for
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        let mut commands = vec![Command::SkipMissedFires(SkipMissedFires {
            cron_job_id: fire.cron_job_id,
            from: fire.scheduled_for,
            to,
            count: skipped,
            reason,
        })];
        if recent {
            commands.push(fire_at(last));
        }
        (commands, skipped)
    }

    /// Appends `cron.time_out` for every run waiting for its reply longer than the timeout.
    async fn time_out_runs(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let before = now - chrono::Duration::from_std(self.settings.run_timeout)?;
        let overdue = {
            let client = self.store.client().await?;
            cron::overdue_runs(&client, before, SCAN_PAGE).await?
        };
        let reason = format!(
            "the agent did not reply within {}",
            humantime::format_duration(self.settings.run_timeout)
        );
        let records: Vec<_> = overdue
            .iter()
            .map(|(tenant, run_id)| {
                record(
                    *tenant,
                    Command::TimeOutCronRun(TimeOutCronRun {
                        run_id: *run_id,
                        reason: reason.clone(),
                    }),
                )
            })
            .collect();
        let count = records.len();
        self.append_all(records).await?;
        Ok(count)
    }

    async fn append_all(&self, records: Vec<CommandRecord>) -> anyhow::Result<()> {
        use futures::StreamExt;
        let results: Vec<_> = futures::stream::iter(records)
            .map(|record| {
                let log = self.log.clone();
                async move { log.append(&record).await }
            })
            .buffered(APPEND_CONCURRENCY)
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(())
    }

    /// Scans until shutdown: at each due time, and whenever the projector changed jobs.
    pub async fn run(self, jobs_changed: Arc<Notify>, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.run_once(Utc::now()).await {
                Ok(scan) if scan == Scan::default() => {}
                Ok(scan) => tracing::info!(?scan, "cron scan"),
                Err(error) => tracing::warn!(error = %format!("{error:#}"), "cron scan failed"),
            }
            let sleep = self.next_wake().await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = jobs_changed.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Until the next fire is due or the oldest running run times out, at most `MAX_SLEEP`.
    async fn next_wake(&self) -> Duration {
        let Ok(client) = self.store.client().await else {
            return Duration::from_secs(1);
        };
        let next_fire = cron::next_due(&client).await.ok().flatten();
        let next_timeout = cron::oldest_running(&client)
            .await
            .ok()
            .flatten()
            .and_then(|started| {
                Some(started + chrono::Duration::from_std(self.settings.run_timeout).ok()?)
            });
        let next = [next_fire, next_timeout].into_iter().flatten().min();
        match next.map(|at| (at - Utc::now()).to_std()) {
            Some(Ok(wait)) => wait.min(MAX_SLEEP),
            // Already due: its fire is claimed by another scheduler or waits for the
            // projector; look again shortly.
            Some(Err(_)) => Duration::from_millis(200),
            None => MAX_SLEEP,
        }
    }
}

fn record(tenant: TenantId, command: Command) -> CommandRecord {
    CommandRecord::new(tenant, Actor::system("scheduler"), command)
}
