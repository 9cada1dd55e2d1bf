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

/// Leases per tenant, held by this process.
#[derive(Default)]
pub struct Leases {
    held: Mutex<HashMap<TenantId, Held>>,
}

impl Leases {
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

fn status(
    limits: Limits,
    minute_count: i32,
    hour_count: i32,
    minute_start: DateTime<Utc>,
    hour_start: DateTime<Utc>,
) -> RateStatus {
    let (per_minute, per_hour) = limits;
    let (minute_left, hour_left) = (per_minute - minute_count, per_hour - hour_count);
    if minute_left <= hour_left {
        RateStatus {
            limit: per_minute,
            remaining: minute_left,
            reset: (minute_start + chrono::Duration::minutes(1)).timestamp(),
        }
    } else {
        RateStatus {
            limit: per_hour,
            remaining: hour_left,
            reset: (hour_start + chrono::Duration::hours(1)).timestamp(),
        }
    }
}

/// Counts a request of `tenant`; a refused one is 429 `RATE_LIMITED` with `Retry-After`.
/// Either way the status for the headers is returned alongside. Most requests spend a slot
/// this process already holds; the others take a new lease (one round trip).
pub async fn check(state: &AppState, tenant: TenantId) -> (RateStatus, Result<(), ApiError>) {
    let now = Utc::now();
    let minute_start = now
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(now);
    let hour_start = now
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(now);
    let limits = match state.limits.limits(state, tenant).await {
        Ok(limits) => limits,
        Err(error) => {
            return (
                RateStatus {
                    limit: 0,
                    remaining: 0,
                    reset: 0,
                },
                Err(error),
            )
        }
    };
    if let Some(held) = state.leases.spend(tenant, minute_start, hour_start) {
        return (
            status(
                limits,
                held.minute_count,
                held.hour_count,
                minute_start,
                hour_start,
            ),
            Ok(()),
        );
    }
    let wanted = state.leases.wanted(tenant, minute_start, limits);
    let leased = async {
        let client = state.store.client().await?;
        Ok::<_, ApiError>(
            rate_limits::lease(&client, tenant, minute_start, hour_start, limits, wanted).await?,
        )
    }
    .await;
    let lease = match leased {
        Ok(lease) => lease,
        Err(error) => {
            return (
                RateStatus {
                    limit: 0,
                    remaining: 0,
                    reset: 0,
                },
                Err(error),
            )
        }
    };
    if lease.granted > 0 {
        // This request takes the first slot; the process keeps the rest.
        let held = Held {
            minute_start,
            hour_start,
            left: lease.granted - 1,
            minute_count: lease.minute_count - (lease.granted - 1),
            hour_count: lease.hour_count - (lease.granted - 1),
        };
        state.leases.keep(tenant, held);
        return (
            status(
                limits,
                held.minute_count,
                held.hour_count,
                minute_start,
                hour_start,
            ),
            Ok(()),
        );
    }
    state.leases.keep(
        tenant,
        Held {
            minute_start,
            hour_start,
            left: 0,
            minute_count: lease.minute_count,
            hour_count: lease.hour_count,
        },
    );
    let (per_minute, per_hour) = limits;
    let hour_exhausted = lease.hour_count >= per_hour;
    let resets = if hour_exhausted {
        hour_start + chrono::Duration::hours(1)
    } else {
        minute_start + chrono::Duration::minutes(1)
    };
    let mut error = ApiError::new(
        ErrorCode::RateLimited,
        format!("Rate limit exceeded ({per_minute}/minute, {per_hour}/hour); retry after the delay in Retry-After"),
    );
    error.retry_after = Some((resets - now).num_seconds().max(1) as u64);
    (
        status(
            limits,
            lease.minute_count,
            lease.hour_count,
            minute_start,
            hour_start,
        ),
        Err(error),
    )
}
