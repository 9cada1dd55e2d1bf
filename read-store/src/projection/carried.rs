//! What a partition's last batch knew, kept in memory for the partition's next batch: once it
//! committed, or — decided on a carried state itself — as soon as it is built, so that the next
//! one can be sent right behind it (the projector's `apply::carried`; the checkpoint's token
//! then tells the state a batch was decided on from any other that reached the same offset).
//!
//! A partition's batches follow each other, and under steady traffic each one reads back, in
//! its first round trip, much of what the one before it just wrote: the tenant, its activity
//! head and webhooks, the agents and sessions its messages go to. A batch that continues the
//! last one exactly (its first offset right after the last one's) and needs nothing else is
//! decided on that state instead, and sent in one round trip: `BEGIN`, the checkpoint's advance
//! *from* the offset that state belongs to ([`super::advance_from`], which fails the
//! transaction if anything else moved the checkpoint since), the writes, `COMMIT`.
//!
//! What the state cannot know is taken as absent, each absence backed by something that fails
//! the transaction when it is wrong:
//! - a command not among the ones it knows as decided: `command_outcomes`' primary key (a
//!   command appended twice, by a retried append, is decided twice, and the second insert of
//!   its outcome fails);
//! - an agent or a session the batch creates: its id is a fresh ULID, or derived from an
//!   `Idempotency-Key` together with its command's id, which then repeats too (as above);
//! - an agent name it does not know the holder of: the agents' `(tenant_id, name_key)`
//!   constraint, checked at `COMMIT`.
//!
//! A batch that needs anything else (an API key, cron jobs or runs, the active sessions of an
//! agent) reads it as usual. A batch whose fast attempt fails for any reason is applied again
//! at once the usual way, which reads everything afresh; its carried state is gone, so
//! nothing stale survives a failure.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use schema::{Command, CommandRecord};

use super::checkpoint::Checkpoint;
use super::overlay::{Overlay, Wanted};

/// Facts a partition's carried state holds at most (agents, names, sessions, keys, tenants,
/// heads, tenants' webhook lists); past it, only the last batch's are kept, and a batch that
/// knows more than this (a backlog's or a rebuild's) leaves nothing: the state costs the
/// projector at most a few hundred KiB per partition.
pub const CARRY_AT_MOST: usize = 1_024;
/// Records a batch decides at most for its state to be carried: the batches of live traffic
/// (as for the fold of inserts, `super::fold::FOLD_AT_MOST`).
pub(super) const CARRY_BATCHES_OF_AT_MOST: usize = super::fold::FOLD_AT_MOST;
/// Commands a partition's carried state knows as decided at most; past it they are forgotten
/// (a duplicate among them then fails its fast attempt on the outcomes' key instead of being
/// passed over in memory).
const DECIDED_AT_MOST: usize = 1_024;

/// The state a partition's batches left, as of its checkpoint `after` (with `token`).
pub struct Carried {
    after: i64,
    token: Option<i64>,
    overlay: Box<Overlay>,
}

impl Carried {
    /// The offset this state belongs to: the last one the batch that left it applied.
    pub fn after(&self) -> i64 {
        self.after
    }

    /// The checkpoint this state belongs to: the batch that leaves it puts the checkpoint there
    /// (at `after`, with the token it wrote).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            offset: Some(self.after),
            token: self.token,
        }
    }

    /// The state a batch that puts the checkpoint at `after` with `token` leaves: its `overlay`
    /// on top of `earlier` (the state as of that batch's checkpoint, if it was carried), or
    /// `None` if that knows too much to keep.
    pub(super) fn left(
        after: i64,
        token: Option<i64>,
        mut overlay: Overlay,
        earlier: Option<Carried>,
    ) -> Option<Self> {
        // Never read from the carried state (batches that need them read them): not kept.
        overlay.cron_jobs.clear();
        overlay.cron_runs.clear();
        overlay.run_of_session.clear();
        if facts(&overlay) > CARRY_AT_MOST {
            return None;
        }
        if let Some(earlier) =
            earlier.filter(|e| facts(&e.overlay) + facts(&overlay) <= CARRY_AT_MOST)
        {
            let mut merged = *earlier.overlay;
            absorb(&mut merged, overlay);
            overlay = merged;
        }
        if overlay.decided.len() > DECIDED_AT_MOST {
            overlay.decided.clear();
        }
        Some(Self {
            after,
            token,
            overlay: Box::new(overlay),
        })
    }

    /// An overlay for `records` from this state, with what they create taken as absent and the
    /// names it does not know as free; or this state back if it does not hold every fact they
    /// need.
    pub(super) fn overlay_for(self, records: &[&CommandRecord]) -> Result<Overlay, Self> {
        let wanted = Wanted::of(records);
        let (mut minted_agents, mut minted_sessions) = (HashSet::new(), HashSet::new());
        // A copy of a command it knows as decided mints nothing: what it created exists.
        let fresh = records
            .iter()
            .filter(|record| !self.overlay.decided.contains(&record.command_id));
        for record in fresh {
            match &record.command {
                Command::CreateAgent(c) => {
                    minted_agents.insert((record.tenant_id, c.agent_id));
                }
                Command::CreateSession(c) => {
                    minted_sessions.insert((record.tenant_id, c.session_id));
                }
                _ => {}
            }
        }
        let known = &self.overlay;
        let covered = wanted.keys.iter().all(|key| known.keys.contains_key(key))
            && wanted.active_sessions.is_empty()
            && wanted.cron_jobs.is_empty()
            && wanted.cron_runs.is_empty()
            && wanted.cron_sessions.is_empty()
            && wanted.cron_agents.is_empty()
            && wanted.tenants.iter().all(|t| known.tenants.contains_key(t))
            && wanted
                .agents
                .iter()
                .all(|a| known.agents.contains_key(a) || minted_agents.contains(a))
            && wanted
                .sessions
                .iter()
                .all(|s| known.sessions.contains_key(s) || minted_sessions.contains(s));
        if !covered {
            return Err(self);
        }
        let mut overlay = *self.overlay;
        for agent in minted_agents {
            overlay.agents.entry(agent).or_insert(None);
        }
        for session in minted_sessions {
            overlay.sessions.entry(session).or_insert(None);
        }
        for name in wanted.names {
            overlay.names.entry(name).or_insert(None);
        }
        Ok(overlay)
    }
}

/// The number of facts an overlay holds (its decided commands apart).
fn facts(overlay: &Overlay) -> usize {
    overlay.tenants.len()
        + overlay.agents.len()
        + overlay.names.len()
        + overlay.keys.len()
        + overlay.sessions.len()
        + overlay.heads.len()
        + overlay.webhooks.len()
}

/// `newer`'s facts over `older`'s: each of `newer`'s is as of a later checkpoint. A tenant's
/// webhooks are replaced as a whole (both hold each tenant's complete list).
fn absorb(older: &mut Overlay, newer: Overlay) {
    older.decided.extend(newer.decided);
    older.tenants.extend(newer.tenants);
    older.agents.extend(newer.agents);
    older.names.extend(newer.names);
    older.keys.extend(newer.keys);
    older.sessions.extend(newer.sessions);
    older.heads.extend(newer.heads);
    older.webhooks.extend(newer.webhooks);
}

/// The carried state of each partition a projection applies, shared by its clones, with how
/// often batches were committed on it and how often such an attempt failed.
#[derive(Clone, Default)]
pub struct CarriedStates {
    states: Arc<Mutex<HashMap<u32, Carried>>>,
    counts: Arc<[AtomicU64; 2]>,
}

/// Batches committed on a carried state, and attempts that failed (each then applied the
/// usual way), since the projection started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarriedCounts {
    pub committed: u64,
    pub failed: u64,
}

impl CarriedStates {
    /// `partition`'s carried state, taken out: a batch uses it, then leaves the next one.
    pub fn take(&self, partition: u32) -> Option<Carried> {
        self.lock().remove(&partition)
    }

    /// `partition`'s carried state, taken out if it is as of offset `after` (else left).
    pub fn take_at(&self, partition: u32, after: i64) -> Option<Carried> {
        let mut states = self.lock();
        if states.get(&partition)?.after != after {
            return None;
        }
        states.remove(&partition)
    }

    /// Counts a batch committed on a carried state (`true`) or an attempt that failed.
    pub fn count(&self, committed: bool) {
        self.counts[usize::from(!committed)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> CarriedCounts {
        CarriedCounts {
            committed: self.counts[0].load(Ordering::Relaxed),
            failed: self.counts[1].load(Ordering::Relaxed),
        }
    }

    /// Keeps `carried` as `partition`'s (or forgets the partition's, with `None`).
    pub fn keep(&self, partition: u32, carried: Option<Carried>) {
        let mut states = self.lock();
        match carried {
            Some(carried) => states.insert(partition, carried),
            None => states.remove(&partition),
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Carried>> {
        // Nothing a panic could leave half-done: a poisoned lock is fine.
        self.states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use schema::agent::AgentConfig;
    use schema::command::{CreateAgent, RevokeApiKey};
    use schema::{Actor, AgentId, ApiKeyId, TenantId};

    use super::*;

    fn record(tenant: TenantId, command: Command) -> CommandRecord {
        CommandRecord::new(tenant, Actor::system("test"), command)
    }

    fn create(agent_id: AgentId, name: &str) -> Command {
        Command::CreateAgent(CreateAgent {
            agent_id,
            name: name.to_owned(),
            role: None,
            description: None,
            soul: None,
            config: AgentConfig::default(),
            gateway_secret: None,
        })
    }

    /// An overlay knowing `tenant` and holding `names` (each by a new agent).
    fn knowing(tenant: TenantId, names: &[&str]) -> Overlay {
        let mut overlay = Overlay::default();
        overlay.tenants.insert(tenant, true);
        for name in names {
            overlay
                .names
                .insert((tenant, (*name).to_owned()), Some(AgentId::new()));
        }
        overlay
    }

    #[test]
    fn a_creation_is_covered_by_its_tenant_alone_with_its_agent_absent_and_its_name_free() {
        let tenant = TenantId::new();
        let carried = Carried::left(4, None, knowing(tenant, &["held"]), None).unwrap();
        let agent = AgentId::new();
        let records = [
            record(tenant, create(agent, "Fresh")),
            record(tenant, create(AgentId::new(), "HELD")),
        ];
        let overlay = carried
            .overlay_for(&records.iter().collect::<Vec<_>>())
            .unwrap_or_else(|_| panic!("not covered"));
        assert_eq!(overlay.agents.get(&(tenant, agent)), Some(&None));
        assert_eq!(
            overlay.names.get(&(tenant, "fresh".to_owned())),
            Some(&None)
        );
        // A name the state knows keeps its holder.
        assert!(matches!(
            overlay.names.get(&(tenant, "held".to_owned())),
            Some(Some(_))
        ));
    }

    #[test]
    fn a_record_needing_what_the_state_does_not_hold_is_not_covered() {
        let (tenant, stranger) = (TenantId::new(), TenantId::new());
        let state = || Carried::left(4, None, knowing(tenant, &[]), None).unwrap();
        for record in [
            // Another tenant, an agent it never saw, a key it never saw.
            record(stranger, create(AgentId::new(), "x")),
            record(
                tenant,
                Command::SetAgentSoul(schema::command::SetAgentSoul {
                    agent_id: AgentId::new(),
                    soul: String::new(),
                }),
            ),
            record(
                tenant,
                Command::RevokeApiKey(RevokeApiKey {
                    key_id: ApiKeyId::new(),
                }),
            ),
        ] {
            let back = state().overlay_for(&[&record]);
            let Err(back) = back else {
                panic!("covered: {:?}", record.command.kind())
            };
            assert_eq!(back.after(), 4, "the state comes back as it was");
            assert_eq!(back.overlay.names.len(), 0);
        }
    }

    #[test]
    fn a_copy_of_a_command_known_as_decided_takes_nothing_it_names_as_absent() {
        let tenant = TenantId::new();
        let original = record(tenant, create(AgentId::new(), "x"));
        let mut overlay = knowing(tenant, &[]);
        overlay.decided.insert(original.command_id);
        let carried = Carried::left(4, None, overlay, None).unwrap();
        assert!(carried.overlay_for(&[&original]).is_err());
    }

    #[test]
    fn a_state_merges_the_newer_facts_over_the_older_and_keeps_to_its_bound() {
        let tenant = TenantId::new();
        let earlier = Carried::left(1, None, knowing(tenant, &["a", "b"]), None).unwrap();
        let mut newer = knowing(tenant, &[]);
        newer.names.insert((tenant, "b".to_owned()), None);
        let merged = Carried::left(2, None, newer, Some(earlier)).unwrap();
        assert_eq!(merged.after(), 2);
        assert!(matches!(
            merged.overlay.names.get(&(tenant, "a".to_owned())),
            Some(Some(_))
        ));
        assert_eq!(
            merged.overlay.names.get(&(tenant, "b".to_owned())),
            Some(&None)
        );

        // Past the bound, only the last batch's facts are kept; a batch past it alone leaves none.
        let many: Vec<String> = (0..CARRY_AT_MOST).map(|n| format!("n{n}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let full =
            Carried::left(3, None, knowing(tenant, &many[..CARRY_AT_MOST - 1]), None).unwrap();
        let kept = Carried::left(4, None, knowing(tenant, &["z"]), Some(full)).unwrap();
        assert_eq!(facts(&kept.overlay), 2);
        assert!(Carried::left(5, None, knowing(tenant, &many), None).is_none());
    }
}
