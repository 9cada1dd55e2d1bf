//! `/v1/activity`: the tenant's hash-chained activity log — filtered pages, replay after a
//! sequence, one entry, verification, and the live tail (see `activity_stream`).

use actix_web::{web, HttpResponse};
use domain::activity::ActivityEntry;
use read_store::activity::{self, ActivityFilter};
use read_store::Order;
use schema::event::ACTIVITY_TYPES;
use schema::{ActorType, ErrorCode};
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

/// The filters of `GET /v1/activity`, as the document states them ([`filter`] reads them).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ActivityQuery {
    /// Comma list of event types and category patterns such as `cron.*`.
    #[param(rename = "type", schema_with = type_filter_schema)]
    type_filter: Option<String>,
    /// Only entries about this agent.
    #[param(rename = "agentId")]
    agent_id: Option<String>,
    /// Only entries whose actor is of this type.
    #[param(rename = "actorType")]
    actor_type: Option<ActorType>,
    /// Entries at or after this time (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries before this time (RFC 3339); at or before `from`, nothing matches.
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries after this sequence, ascending by default: replays the history page by page.
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// `type`: one or more event types or `category.*` patterns, separated by commas (spaces
/// around them allowed), as a pattern built from the event types.
fn type_filter_schema() -> utoipa::openapi::schema::Object {
    let mut items: Vec<String> = ACTIVITY_TYPES
        .iter()
        .map(|t| t.replace('.', r"\."))
        .collect();
    let mut categories: Vec<&str> = ACTIVITY_TYPES
        .iter()
        .filter_map(|t| t.split('.').next())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    items.extend(categories.iter().map(|c| format!(r"{c}\.\*")));
    let item = format!("(?:{})", items.join("|"));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(r"^ *{item} *(?:, *{item} *)*$")))
        .build()
}

/// Reads `type` (comma list of event types and `prefix.*` patterns), `agentId`, `actorType`,
/// `from`, `to` and `after`.
fn filter(query: &QueryParams) -> Result<ActivityFilter, ApiError> {
    let mut filter = ActivityFilter::default();
    if let Some(types) = query.get("type") {
        for item in types.split(',').map(|item| item.trim_matches(' ')) {
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
        |s| ActorType::parse(s).map(|actor| actor.as_str().to_owned()),
        "api_key, system, agent",
    )?;
    // `from` at or after `to` is an empty range: it matches nothing, like any other filter.
    filter.from = listing::time_param(query, "from")?;
    filter.to = listing::time_param(query, "to")?;
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
    params(ActivityQuery, crate::openapi::ListParams),
    responses((status = 200, description = "A page of entries, newest first (ascending with `after`)", body = crate::openapi::ActivityList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody)),
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
              (status = 404, description = "ACTIVITY_NOT_FOUND", body = crate::error::ErrorBody)),
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
    #[schema(value_type = chrono::DateTime<chrono::Utc>, example = "2026-01-15T09:00:00.000Z")]
    timestamp: String,
    actor: TypedRefSchema,
    /// The agent the entry is about; `null` when none (an API key's creation, say).
    #[schema(required = true)]
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
