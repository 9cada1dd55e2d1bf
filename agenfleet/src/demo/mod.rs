//! `agenfleet dev --demo`: a believable fleet to look at. On first start the `default` tenant
//! gets a dozen agents with a month of work behind them (sessions, priced replies, tool calls,
//! budgets near and over their limits, heartbeats and incidents, cron jobs and their runs, a
//! webhook endpoint), all appended through the event log at their past times, so the read
//! models, the metrics and the activity log hold it exactly as if it had happened. While dev
//! runs, [`Motion`] keeps a few agents working.
//!
//! Planning is pure and seeded (`history`, `jobs`, `budgets`, `timeline`): the same seed gives
//! the same month, relative to the time of seeding. Only `seed` and `motion` touch the log.

mod budgets;
mod dice;
pub mod fleet;
mod history;
mod jobs;
mod motion;
mod records;
mod seed;
mod souls;
mod timeline;

pub use history::DAYS;
pub use motion::Motion;
pub use seed::{seed, Seeding, Settings, Summary, WEBHOOK_URL};

/// The seed of the demo's month.
pub const SEED: u64 = 0x00a9_e4f1_ee70;

/// The month before `now`: planned, budgets chosen, and in time order without what the
/// projector would refuse.
fn month(
    now: chrono::DateTime<chrono::Utc>,
    seed: u64,
    catalog: &domain::catalog::Catalog,
) -> (history::Plan, Vec<jobs::PlannedJob>, Vec<timeline::Step>) {
    let mut dice = dice::Dice::new(seed);
    let mut plan = history::plan(now, &mut dice, catalog);
    let jobs = jobs::plan_jobs(&plan, &mut dice, catalog);
    budgets::choose(&mut plan, &jobs, &mut dice, catalog);
    let steps = timeline::steps(&plan, &jobs);
    (plan, jobs, steps)
}

impl Summary {
    /// One line saying what seeding added.
    pub fn describe(&self, tenant_name: &str) -> String {
        let webhook = match &self.webhook {
            Some(url) => format!(", a webhook to {url}"),
            None => String::new(),
        };
        format!(
            "Demo: seeded tenant `{tenant_name}` with {} agents and {DAYS} days of history \
             ({} sessions, {} messages, {} cron runs{webhook}; {} commands in {:.1} s).",
            self.agents,
            self.sessions,
            self.messages,
            self.cron_runs,
            self.commands,
            self.elapsed.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests;
