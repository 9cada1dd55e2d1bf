//! What a message's command must name about its session and that never changes once the
//! session exists: its agent and its origin. Posting a message reads them from here rather
//! than from Postgres each time; the projector still decides the message against the stored
//! session (missing, archived, another agent: the same answers as before), so a fact kept here
//! can make no message land where it should not.
//!
//! Only sessions seen to exist are kept (a session is never deleted and never changes agent or
//! origin, so a kept fact is never stale), keyed by tenant as well, so one tenant's lookups never
//! answer another's. At most [`MAX_ENTRIES`]: past that the map starts again empty, which costs
//! each session one read from Postgres.

use std::collections::HashMap;
use std::sync::Mutex;

use schema::session::{SessionOrigin, SessionSnapshot};
use schema::{AgentId, SessionId, TenantId};

/// About 64 bytes an entry: a few MiB at most.
const MAX_ENTRIES: usize = 50_000;

/// A session's agent and origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    pub agent_id: AgentId,
    pub origin: SessionOrigin,
}

impl From<&SessionSnapshot> for SessionFacts {
    fn from(session: &SessionSnapshot) -> Self {
        Self {
            agent_id: session.agent_id,
            origin: session.origin,
        }
    }
}

/// The facts of the sessions this process has seen.
#[derive(Default)]
pub struct SessionFactsCache {
    entries: Mutex<HashMap<(TenantId, SessionId), SessionFacts>>,
}

impl SessionFactsCache {
    pub fn get(&self, tenant: TenantId, session: SessionId) -> Option<SessionFacts> {
        self.lock().get(&(tenant, session)).copied()
    }

    /// Notes a session read from the store.
    pub fn put(&self, tenant: TenantId, session: &SessionSnapshot) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((tenant, session.id), SessionFacts::from(session));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, SessionId), SessionFacts>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: SessionId, agent_id: AgentId, origin: SessionOrigin) -> SessionSnapshot {
        let now = chrono::Utc::now();
        SessionSnapshot {
            id,
            agent_id,
            name: None,
            status: schema::session::SessionStatus::Active,
            origin,
            cron_job_id: None,
            message_count: 0,
            token_count: 0,
            created_at: now,
            last_activity_at: now,
            archived_at: None,
        }
    }

    #[test]
    fn a_session_is_known_only_to_its_own_tenant() {
        let cache = SessionFactsCache::default();
        let (tenant, other): (TenantId, TenantId) = (crate::ids::next(), crate::ids::next());
        let (id, agent): (SessionId, AgentId) = (crate::ids::next(), crate::ids::next());
        assert_eq!(cache.get(tenant, id), None);
        cache.put(tenant, &session(id, agent, SessionOrigin::Cron));
        assert_eq!(
            cache.get(tenant, id),
            Some(SessionFacts {
                agent_id: agent,
                origin: SessionOrigin::Cron
            })
        );
        assert_eq!(cache.get(other, id), None);
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = SessionFactsCache::default();
        let tenant: TenantId = crate::ids::next();
        let agent: AgentId = crate::ids::next();
        let mut last = None;
        for _ in 0..MAX_ENTRIES + 10 {
            let id: SessionId = crate::ids::next();
            cache.put(tenant, &session(id, agent, SessionOrigin::Api));
            last = Some(id);
            assert!(cache.len() <= MAX_ENTRIES);
        }
        // Started again when full: the latest are kept.
        assert_eq!(cache.len(), 10);
        assert!(cache.get(tenant, last.unwrap()).is_some());
    }
}
