//! `/v1/activity`: the tenant's hash-chained activity log — filtered pages, replay after a
//! sequence, one entry, verification, and the live tail (see `activity_stream`).

use actix_web::{web, HttpResponse};
use domain::activity::ActivityEntry;
use read_store::activity::{self, ActivityFilter};
use read_store::Order;
use schema::event::ACTIVITY_TYPES;
use schema::ErrorCode;
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::listing::{self, Query, QueryParams};
use crate::state::AppState;

/// `{valid, entries, firstBrokenSequence}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Every entry's hash matches its content and links to the entry before, without gaps.
    valid: bool,
    /// How many entries the tenant's chain has.
    entries: u64,
    /// The first entry that does not hold, `null` when the chain is intact.
    #[schema(required = true)]
    first_broken_sequence: Option<i64>,
}

/// Reads `type` (comma list of event types and `prefix.*` patterns), `agentId`, `actorType`,
/// `from`, `to` and `after`.
fn filter(query: &QueryParams) -> Result<ActivityFilter, ApiError> {
    let mut filter = ActivityFilter::default();
    if let Some(types) = query.get("type") {
        for item in types.split(',').map(str::trim) {
            if let Some(category) = item.strip_suffix(".*") {
                let known = ACTIVITY_TYPES
                    .iter()
                    .any(|t| t.split('.').next() == Some(category));
                if !known {
                    return Err(ApiError::field(
                        "type",
                        format!("no event type matches '{item}'"),
                    ));
                }
                filter.categories.push(category.to_owned());
            } else if ACTIVITY_TYPES.contains(&item) {
                filter.types.push(item.to_owned());
            } else {
                return Err(ApiError::field(
                    "type",
                    format!(
                        "unknown event type '{item}'; give event types or patterns like cron.*"
                    ),
                ));
            }
        }
    }
    filter.agent = query.get("agentId").cloned();
    filter.actor_type = listing::enum_param(
        query,
        "actorType",
        |s| {
            ["api_key", "system", "agent"]
                .contains(&s)
                .then(|| s.to_owned())
        },
        "api_key, system, agent",
    )?;
    filter.from = listing::time_param(query, "from")?;
    filter.to = listing::time_param(query, "to")?;
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            return Err(ApiError::field("from", "must be before to"));
        }
    }
    filter.after = match query.get("after") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|after| *after >= 0)
                .ok_or_else(|| {
                    ApiError::field(
                        "after",
                        format!("must be a sequence number from 0 to {}", i64::MAX),
                    )
                })?,
        ),
    };
    Ok(filter)
}

#[utoipa::path(get, path = "/v1/activity", tag = "activity",
    params(("type" = Option<String>, Query, description = "Comma list of event types and prefix patterns such as `cron.*`"),
           ("agentId" = Option<String>, Query, description = "Only entries about this agent"),
           ("actorType" = Option<String>, Query, description = "api_key, system or agent"),
           ("from" = Option<String>, Query, description = "Entries at or after this time (RFC 3339)"),
           ("to" = Option<String>, Query, description = "Entries before this time (RFC 3339)"),
           ("after" = Option<i64>, Query, description = "Only entries after this sequence, ascending by default: replays the history page by page"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of entries, newest first (ascending with `after`)", body = crate::openapi::ActivityList),
              (status = 400, description = "Bad query parameter", body = crate::openapi::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_activity(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let filter = filter(&query)?;
    let default_order = if filter.after.is_some() {
        Order::Asc
    } else {
        Order::Desc
    };
    let page = listing::page(&query, default_order)?;
    let client = state.store.client().await?;
    let listed = activity::list(
        &client,
        caller.tenant_id,
        &filter,
        page.order,
        page.limit,
        page.offset,
    )
    .await?;
    Ok(HttpResponse::Ok().json(listing::envelope(&listed.rows, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/activity/verify", tag = "activity",
    responses((status = 200, description = "The result of recomputing every hash of the tenant's chain", body = Verification)),
    security(("bearer" = ["read"])))]
pub async fn verify_activity(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let client = state.store.client().await?;
    let verifier = activity::verify(&client, caller.tenant_id).await?;
    Ok(HttpResponse::Ok().json(Verification {
        valid: verifier.first_broken.is_none(),
        entries: verifier.entries,
        first_broken_sequence: verifier.first_broken,
    }))
}

#[utoipa::path(get, path = "/v1/activity/{id}", tag = "activity", params(("id" = String, Path, description = "evt_…")),
    responses((status = 200, description = "The entry", body = ActivityEntrySchema),
              (status = 404, description = "ACTIVITY_NOT_FOUND", body = crate::openapi::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_activity(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(ErrorCode::ActivityNotFound, "activity entry", &path);
    if path.parse::<schema::EventId>().is_err() {
        return Err(not_found());
    }
    let client = state.store.client().await?;
    let entry: ActivityEntry = activity::get(&client, caller.tenant_id, &path)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(entry))
}

/// An activity entry (schema of `domain::activity::ActivityEntry`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ActivityEntry)]
pub struct ActivityEntrySchema {
    #[schema(example = "evt_01jq8abcdefghjkmnpqrstvwxy")]
    id: String,
    /// 1, 2, 3… per tenant, without gaps.
    sequence: i64,
    #[serde(rename = "type")]
    #[schema(example = "agent.created")]
    event_type: String,
    /// RFC 3339 UTC with milliseconds.
    timestamp: String,
    actor: TypedRefSchema,
    agent_id: Option<String>,
    subject: TypedRefSchema,
    /// The resource after the change (no message content, no secrets).
    data: serde_json::Value,
    /// Lowercase hex SHA-256 of `prevHash` followed by the RFC 8785 canonical JSON of this
    /// object without `hash`.
    hash: String,
    /// The previous entry's hash; 64 zeros for the first entry.
    prev_hash: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ActivityRef)]
pub struct TypedRefSchema {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}
