//! Per-tenant rate limits in fixed UTC windows (a minute and an hour), global across API
//! processes: each process leases request slots from the tenant's counters in Postgres
//! (`read_store::rate_limits`) and spends them locally. The tenant's limits (plan, or its
//! overrides) are cached here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, DurationRound, Utc};
use read_store::{rate_limits, tenants};
use schema::{ErrorCode, TenantId};

use crate::error::ApiError;
use crate::state::AppState;

const LIMITS_TTL: Duration = Duration::from_secs(5);

/// What the `X-RateLimit-*` headers of a response say: the window with fewer requests left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: i32,
    pub remaining: i32,
    /// Unix seconds when that window resets.
    pub reset: i64,
}

impl RateStatus {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.max(0).to_string()),
            ("x-ratelimit-reset", self.reset.to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// Requests per (minute, hour).
type Limits = (i32, i32);

/// Tenants' limits, cached for a few seconds so changes reach every process soon.
#[derive(Default)]
pub struct LimitsCache {
    entries: Mutex<HashMap<TenantId, (Limits, Instant)>>,
}

impl LimitsCache {
    async fn limits(&self, state: &AppState, tenant: TenantId) -> Result<Limits, ApiError> {
        let cached = {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            entries
                .get(&tenant)
                .filter(|(_, at)| at.elapsed() < LIMITS_TTL)
                .map(|(limits, _)| *limits)
        };
        if let Some(limits) = cached {
            return Ok(limits);
        }
        let client = state.store.client().await?;
        let row = tenants::get(&client, tenant).await?.ok_or_else(|| {
            ApiError::internal(format!("tenant {tenant} of a valid key is missing"))
        })?;
        let (minute, hour) = row.plan.limits();
        let limits = (
            row.per_minute.unwrap_or(minute as i32),
            row.per_hour.unwrap_or(hour as i32),
        );
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(tenant, (limits, Instant::now()));
        Ok(limits)
    }
}

/// Most slots a lease asks for, and the share of what is left it asks for: small enough that
/// slots left unused in other processes at a window's end are few, large enough that a busy
/// tenant costs a round trip per many requests, not per request.
const MAX_LEASE: i32 = 100;
const LEASE_SHARE: i32 = 32;

/// The slots this process holds for a tenant in the current windows.
#[derive(Clone, Copy)]
struct Held {
    minute_start: DateTime<Utc>,
    hour_start: DateTime<Utc>,
    left: i32,
    /// Counts as this process last knew them (plus its own use since).
    minute_count: i32,
    hour_count: i32,
}

impl Held {
    /// The headers' view of the windows, as this process knows them.
    fn status(&self, limits: Limits) -> RateStatus {
        let (per_minute, per_hour) = limits;
        let (minute_left, hour_left) = (per_minute - self.minute_count, per_hour - self.hour_count);
        if minute_left <= hour_left {
            let reset = (self.minute_start + chrono::Duration::minutes(1)).timestamp();
            RateStatus {
                limit: per_minute,
                remaining: minute_left,
                reset,
            }
        } else {
            let reset = (self.hour_start + chrono::Duration::hours(1)).timestamp();
            RateStatus {
                limit: per_hour,
                remaining: hour_left,
                reset,
            }
        }
    }
}

/// Leases per tenant, held by this process.
#[derive(Default)]
pub struct Leases {
    held: Mutex<HashMap<TenantId, Held>>,
    /// One lease request at a time per tenant: concurrent requests that find no slot wait for
    /// it and spend its slots, instead of each leasing a share (which over-reserved: 60
    /// simultaneous first requests asked for 60 shares of 600 and the last ones got 429).
    gates: Mutex<HashMap<TenantId, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl Leases {
    fn gate(&self, tenant: TenantId) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        self.gates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    /// Spends a held slot if there is one for these windows.
    fn spend(
        &self,
        tenant: TenantId,
        minute_start: DateTime<Utc>,
        hour_start: DateTime<Utc>,
    ) -> Option<Held> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let lease = held.get_mut(&tenant)?;
        if lease.minute_start != minute_start || lease.hour_start != hour_start || lease.left == 0 {
            return None;
        }
        lease.left -= 1;
        lease.minute_count += 1;
        lease.hour_count += 1;
        Some(*lease)
    }

    /// How many slots to ask for: a share of what was left when last seen.
    fn wanted(&self, tenant: TenantId, minute_start: DateTime<Utc>, limits: Limits) -> i32 {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (minute_used, hour_used) = match held.get(&tenant) {
            Some(lease) if lease.minute_start == minute_start => {
                (lease.minute_count, lease.hour_count)
            }
            Some(lease) => (0, lease.hour_count),
            None => (0, 0),
        };
        let left = (limits.0 - minute_used).min(limits.1 - hour_used);
        (left / LEASE_SHARE).clamp(1, MAX_LEASE)
    }

    /// Keeps a new lease's slots. Concurrent requests may each have taken a lease: slots of
    /// the same windows add up, so none is lost.
    fn keep(&self, tenant: TenantId, lease: Held) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match held.get_mut(&tenant) {
            Some(current)
                if current.minute_start == lease.minute_start
                    && current.hour_start == lease.hour_start =>
            {
                current.left += lease.left;
                current.minute_count = current.minute_count.max(lease.minute_count);
                current.hour_count = current.hour_count.max(lease.hour_count);
            }
            _ => {
                held.insert(tenant, lease);
            }
        }
    }
}

/// Counts a request of `tenant`; a refused one is 429 `RATE_LIMITED` with `Retry-After`.
/// Returns the status for the headers (unknown when the database failed) and the verdict.
/// Most requests spend a slot this process already holds; the others take a new lease (one
/// round trip).
pub async fn check(
    state: &AppState,
    tenant: TenantId,
) -> (Option<RateStatus>, Result<(), ApiError>) {
    match decide(state, tenant).await {
        Ok((status, verdict)) => (Some(status), verdict),
        Err(error) => (None, Err(error)),
    }
}

async fn decide(
    state: &AppState,
    tenant: TenantId,
) -> Result<(RateStatus, Result<(), ApiError>), ApiError> {
    let now = Utc::now();
    let minute_start = now
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(now);
    let hour_start = now
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(now);
    let limits = state.limits.limits(state, tenant).await?;
    if let Some(held) = state.leases.spend(tenant, minute_start, hour_start) {
        return Ok((held.status(limits), Ok(())));
    }
    let gate = state.leases.gate(tenant);
    let _leasing = gate.lock().await;
    // Another request may have leased while this one waited.
    if let Some(held) = state.leases.spend(tenant, minute_start, hour_start) {
        return Ok((held.status(limits), Ok(())));
    }
    let wanted = state.leases.wanted(tenant, minute_start, limits);
    let client = state.store.client().await?;
    let lease =
        rate_limits::lease(&client, tenant, minute_start, hour_start, limits, wanted).await?;
    // A granted lease: this request takes its first slot and the process keeps the rest.
    let taken = lease.granted.max(1) - 1;
    let held = Held {
        minute_start,
        hour_start,
        left: (lease.granted - 1).max(0),
        minute_count: lease.minute_count - taken,
        hour_count: lease.hour_count - taken,
    };
    state.leases.keep(tenant, held);
    if lease.granted > 0 {
        return Ok((held.status(limits), Ok(())));
    }
    let (per_minute, per_hour) = limits;
    let resets = if lease.hour_count >= per_hour {
        hour_start + chrono::Duration::hours(1)
    } else {
        minute_start + chrono::Duration::minutes(1)
    };
    let mut error = ApiError::new(
        ErrorCode::RateLimited,
        format!("Rate limit exceeded ({per_minute}/minute, {per_hour}/hour); retry after the delay in Retry-After"),
    );
    error.retry_after = Some((resets - now).num_seconds().max(1) as u64);
    state.signals.rate_limited.inc();
    Ok((held.status(limits), Err(error)))
}
