//! Per-tenant rate limits in fixed UTC windows (a minute and an hour), global across API
//! processes: each authenticated request is counted in Postgres with one atomic statement
//! (`read_store::rate_limits`). The tenant's limits (plan, or its overrides) are cached here.

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

/// Counts a request of `tenant`; a refused one is 429 `RATE_LIMITED` with `Retry-After`.
/// Either way the status for the headers is returned alongside.
pub async fn check(state: &AppState, tenant: TenantId) -> (RateStatus, Result<(), ApiError>) {
    let now = Utc::now();
    let minute_start = now
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(now);
    let hour_start = now
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(now);
    let counted = async {
        let (per_minute, per_hour) = state.limits.limits(state, tenant).await?;
        let client = state.store.client().await?;
        let counted = rate_limits::count_request(
            &client,
            tenant,
            minute_start,
            hour_start,
            per_minute,
            per_hour,
        )
        .await?;
        Ok::<_, ApiError>((per_minute, per_hour, counted))
    }
    .await;
    let (per_minute, per_hour, counted) = match counted {
        Ok(counted) => counted,
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
    let minute_reset = minute_start + chrono::Duration::minutes(1);
    let hour_reset = hour_start + chrono::Duration::hours(1);
    let minute_left = per_minute - counted.minute_count;
    let hour_left = per_hour - counted.hour_count;
    let status = if minute_left <= hour_left {
        RateStatus {
            limit: per_minute,
            remaining: minute_left,
            reset: minute_reset.timestamp(),
        }
    } else {
        RateStatus {
            limit: per_hour,
            remaining: hour_left,
            reset: hour_reset.timestamp(),
        }
    };
    if counted.allowed {
        return (status, Ok(()));
    }
    let resets: DateTime<Utc> = if hour_left <= 0 {
        hour_reset
    } else {
        minute_reset
    };
    let mut error = ApiError::new(
        ErrorCode::RateLimited,
        format!("Rate limit exceeded ({per_minute}/minute, {per_hour}/hour); retry after the delay in Retry-After"),
    );
    error.retry_after = Some((resets - now).num_seconds().max(1) as u64);
    (status, Err(error))
}
