//! Per-tenant rate limits in fixed UTC windows (a minute and an hour), global across API
//! processes: each process leases request slots from the tenant's counters in Postgres
//! (`read_store::rate_limits`) and spends them locally, until the lease's minute ends. The
//! windows are Postgres's, never this host's clock: every process counts in the same ones. A
//! busy tenant's next lease is taken in the background while the process still holds slots, so
//! its requests do not queue behind a round trip whenever a lease runs out. The tenant's limits
//! (plan, or its overrides) are cached here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::web;
use chrono::{DateTime, Utc};
use read_store::{rate_limits, tenants};
use schema::{ErrorCode, TenantId};

use crate::error::ApiError;
use crate::state::AppState;

const LIMITS_TTL: Duration = Duration::from_secs(5);

/// In a request's extensions: it has been counted against its tenant's limits (see
/// `auth::Caller`).
pub struct Counted;

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
/// slots left unused in other processes at a window's end are few (at most two leases, each
/// 1/32 of what was left), large enough that a busy tenant costs a round trip per many
/// requests, not per request. At 30,000 requests a second on one process, leases of 100 cost
/// 12 % of `GET /v1/agents/{id}`'s throughput against leases of 1,000 (docs/BENCHMARKS.md).
const MAX_LEASE: i32 = 1_000;
const LEASE_SHARE: i32 = 32;

/// Leases at least this large are taken ahead: when a request leaves half a lease or less
/// held, the next lease is asked for in the background. Smaller leases (a tenant with less than
/// 32 × this left in a window) are taken only when the slots run out, so that near its limit a
/// tenant's slots are not held unused by one process while another refuses requests.
const LEASE_AHEAD_FROM: i32 = 16;

/// The slots this process holds for a tenant in the current windows.
#[derive(Clone, Copy)]
struct Held {
    /// The windows, by Postgres's clock (for the headers, and to add up leases of the same).
    minute_start: DateTime<Utc>,
    hour_start: DateTime<Utc>,
    /// When they end, on this process's monotonic clock: the time Postgres had left in each
    /// when it granted, from before the lease was asked for (so never later than the end).
    minute_ends: Instant,
    hour_ends: Instant,
    left: i32,
    /// Counts as this process last knew them (plus its own use since).
    minute_count: i32,
    hour_count: i32,
}

impl Held {
    /// The slots of a `lease` asked for at `asked`, `taken_now` of them spent by the request
    /// that asked for it.
    fn leased(lease: rate_limits::Lease, asked: Instant, taken_now: i32) -> Self {
        let unspent = (lease.granted - taken_now).max(0);
        let ends = |start: DateTime<Utc>, length: chrono::Duration| {
            let left = (start + length - lease.now).to_std().unwrap_or_default();
            asked + left
        };
        Self {
            minute_start: lease.minute_start,
            hour_start: lease.hour_start,
            minute_ends: ends(lease.minute_start, chrono::Duration::minutes(1)),
            hour_ends: ends(lease.hour_start, chrono::Duration::hours(1)),
            left: unspent,
            minute_count: lease.minute_count - unspent,
            hour_count: lease.hour_count - unspent,
        }
    }

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

    /// Spends a held slot if there is one in windows that have not ended.
    fn spend(&self, tenant: TenantId) -> Option<Held> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let lease = held.get_mut(&tenant)?;
        if lease.left == 0 || Instant::now() >= lease.minute_ends {
            return None;
        }
        lease.left -= 1;
        lease.minute_count += 1;
        lease.hour_count += 1;
        Some(*lease)
    }

    /// How many slots to ask for: a share of what was left when last seen.
    fn wanted(&self, tenant: TenantId, limits: Limits) -> i32 {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let (minute_used, hour_used) = match held.get(&tenant) {
            Some(lease) => (
                if now < lease.minute_ends {
                    lease.minute_count
                } else {
                    0
                },
                if now < lease.hour_ends {
                    lease.hour_count
                } else {
                    0
                },
            ),
            None => (0, 0),
        };
        let left = (limits.0 - minute_used).min(limits.1 - hour_used);
        (left / LEASE_SHARE).clamp(1, MAX_LEASE)
    }

    /// Keeps a new lease's slots. Slots of the same windows add up, so none is lost. A
    /// tenant's leases are taken one at a time (its gate), so the counts the new lease read
    /// include every slot still held here: those are not spent yet, and the requests counted
    /// are the lease's counts less them.
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
                let counted = |count: i32| count - current.left;
                current.minute_count = current.minute_count.max(counted(lease.minute_count));
                current.hour_count = current.hour_count.max(counted(lease.hour_count));
                current.left += lease.left;
                current.minute_ends = current.minute_ends.min(lease.minute_ends);
                current.hour_ends = current.hour_ends.min(lease.hour_ends);
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
    state: &web::Data<AppState>,
    tenant: TenantId,
) -> (Option<RateStatus>, Result<(), ApiError>) {
    match decide(state, tenant).await {
        Ok((status, verdict)) => (Some(status), verdict),
        Err(error) => (None, Err(error)),
    }
}

async fn decide(
    state: &web::Data<AppState>,
    tenant: TenantId,
) -> Result<(RateStatus, Result<(), ApiError>), ApiError> {
    let limits = state.limits.limits(state, tenant).await?;
    if let Some(held) = state.leases.spend(tenant) {
        lease_ahead(state, tenant, &held, limits);
        return Ok((held.status(limits), Ok(())));
    }
    let gate = state.leases.gate(tenant);
    let _leasing = gate.lock().await;
    // Another request may have leased while this one waited.
    if let Some(held) = state.leases.spend(tenant) {
        return Ok((held.status(limits), Ok(())));
    }
    let wanted = state.leases.wanted(tenant, limits);
    let client = state.store.client().await?;
    let asked = Instant::now();
    let lease = rate_limits::lease(&client, tenant, limits, wanted).await?;
    // A granted lease: this request takes its first slot and the process keeps the rest.
    let held = Held::leased(lease, asked, 1);
    state.leases.keep(tenant, held);
    if lease.granted > 0 {
        return Ok((held.status(limits), Ok(())));
    }
    let (per_minute, per_hour) = limits;
    let resets = if lease.hour_count >= per_hour {
        lease.hour_start + chrono::Duration::hours(1)
    } else {
        lease.minute_start + chrono::Duration::minutes(1)
    };
    let mut error = ApiError::new(
        ErrorCode::RateLimited,
        format!("Rate limit exceeded ({per_minute}/minute, {per_hour}/hour); retry after the delay in Retry-After"),
    );
    // Whole seconds, rounded up: a retry after that many is in the next window.
    let wait_ms = (resets - lease.now).num_milliseconds();
    error.retry_after = Some(((wait_ms + 999) / 1000).max(1) as u64);
    state.signals.rate_limited.inc();
    Ok((held.status(limits), Err(error)))
}

/// Starts the tenant's next lease in the background when `held` (just spent from) is down to
/// half a lease or less and the lease would be large enough to take ahead
/// ([`LEASE_AHEAD_FROM`]), unless a lease is being taken already. A lease that fails is
/// dropped: the request that finds no slot left takes one itself and meets the error.
fn lease_ahead(state: &web::Data<AppState>, tenant: TenantId, held: &Held, limits: Limits) {
    if held.left > MAX_LEASE / 2 {
        return;
    }
    let wanted = state.leases.wanted(tenant, limits);
    if wanted < LEASE_AHEAD_FROM || held.left > wanted / 2 {
        return;
    }
    let Ok(leasing) = state.leases.gate(tenant).try_lock_owned() else {
        return;
    };
    let state = state.clone();
    let minute_ends = held.minute_ends;
    tokio::spawn(async move {
        // The minute has ended: the next request leases in the new one, with its own share.
        if Instant::now() >= minute_ends {
            return;
        }
        let asked = Instant::now();
        let lease = async {
            let client = state.store.client().await?;
            rate_limits::lease(&client, tenant, limits, wanted).await
        };
        match lease.await {
            Ok(lease) => state.leases.keep(tenant, Held::leased(lease, asked, 0)),
            Err(error) => tracing::debug!(%tenant, %error, "a rate-limit lease taken ahead failed"),
        }
        drop(leasing);
    });
}
