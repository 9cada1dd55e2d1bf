//! `/v1/webhooks`: endpoints (the secret shown at creation and rotation only), test pings,
//! and their deliveries (list, get with the attempt log, retry, replay since a time).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use read_store::deliveries::{self, Attempt, Delivery};
use read_store::webhooks;
use schema::command::{
    CreateWebhook, DeleteWebhook, RotateWebhookSecret, TestWebhook, UpdateWebhook,
};
use schema::webhook::{DeliveryStatus, WebhookPatch, WebhookSnapshot, ALL_EVENTS};
use schema::{Command, DeliveryId, ErrorCode, EventId, WebhookId};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::commands::submit;
use crate::error::ApiError;
use crate::listing::{self, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhookRequest {
    #[schema(example = "https://example.com/agenfleet/webhooks")]
    #[schema(schema_with = schema::limits::schemas::url)]
    url: String,
    #[schema(schema_with = schema::webhook::event_filter_schema)]
    events: Vec<String>,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::description)]
    description: Option<String>,
    /// Default true.
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayRequest {
    /// Re-deliver every matching event since this time (RFC 3339).
    since: DateTime<Utc>,
}

/// A webhook endpoint (its secret only in the create and rotate responses).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Webhook)]
pub struct WebhookView<'a> {
    #[schema(example = "wh_01jq8abcdefghjkmnpqrstvwxy")]
    id: String,
    url: &'a str,
    events: &'a [String],
    #[schema(required = true)]
    description: Option<&'a str>,
    enabled: bool,
    #[schema(required = true)]
    disabled_reason: Option<&'a str>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// `whsec_…`: only in the create and rotate-secret responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

impl<'a> WebhookView<'a> {
    fn new(webhook: &'a WebhookSnapshot, secret: Option<&'a str>) -> Self {
        Self {
            id: webhook.id.to_string(),
            url: &webhook.url,
            events: &webhook.events,
            description: webhook.description.as_deref(),
            enabled: webhook.enabled,
            disabled_reason: webhook.disabled_reason.as_deref(),
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
            secret,
        }
    }
}

/// A delivery of an event to an endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Delivery)]
pub struct DeliveryView<'a> {
    #[schema(example = "dlv_01jq8abcdefghjkmnpqrstvwxy")]
    id: String,
    /// `null` for a delivery of a cron job's or a gateway's (not of an endpoint).
    #[schema(required = true)]
    webhook_id: Option<String>,
    event_id: &'a str,
    event_type: &'a str,
    #[schema(value_type = DeliveryStatus)]
    status: &'a str,
    attempts: i32,
    #[schema(required = true)]
    next_attempt_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    last_status_code: Option<i32>,
    created_at: DateTime<Utc>,
    /// Only on `GET …/deliveries/{id}`: every attempt, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptView<'a>>>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView<'a> {
    at: DateTime<Utc>,
    /// The receiver's status; null when it did not answer.
    #[schema(required = true)]
    status_code: Option<i32>,
    duration_ms: i32,
    #[schema(required = true)]
    error: Option<&'a str>,
}

impl<'a> DeliveryView<'a> {
    fn new(delivery: &'a Delivery, attempts: Option<&'a [Attempt]>) -> Self {
        Self {
            id: delivery.id.to_string(),
            webhook_id: delivery.webhook_id.map(|id| id.to_string()),
            event_id: &delivery.event_id,
            event_type: &delivery.event_type,
            status: &delivery.status,
            attempts: delivery.attempts,
            next_attempt_at: delivery.next_attempt_at,
            last_status_code: delivery.last_status_code,
            created_at: delivery.created_at,
            attempt_log: attempts.map(|attempts| {
                attempts
                    .iter()
                    .map(|attempt| AttemptView {
                        at: attempt.at,
                        status_code: attempt.status_code,
                        duration_ms: attempt.duration_ms,
                        error: attempt.error.as_deref(),
                    })
                    .collect()
            }),
        }
    }
}

/// What a test ping queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    event_id: String,
    delivery_id: String,
}

/// How many deliveries a replay queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayResult {
    scheduled: i64,
}

fn webhook_id(path: &str) -> Result<WebhookId, ApiError> {
    path.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::WebhookNotFound, "webhook", path))
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: WebhookId,
) -> Result<WebhookSnapshot, ApiError> {
    let client = state.store.client().await?;
    webhooks::get(&client, caller.tenant_id, id)
        .await?
        .map(|stored| stored.webhook)
        .ok_or_else(|| ApiError::not_found(ErrorCode::WebhookNotFound, "webhook", &id.to_string()))
}

/// The event filter with repeated types dropped (first occurrence kept).
fn without_repeats(events: Vec<String>) -> Vec<String> {
    if events.iter().any(|event| event == ALL_EVENTS) {
        // `*` subscribes to everything: the other types add nothing.
        return vec![ALL_EVENTS.to_owned()];
    }
    let mut seen = std::collections::HashSet::new();
    events
        .into_iter()
        .filter(|event| seen.insert(event.clone()))
        .collect()
}

fn validate(events: Option<&[String]>, description: Option<&str>) -> Result<(), ApiError> {
    let mut errors = events.map(domain::webhooks::events).unwrap_or_default();
    errors.extend(domain::webhooks::description(description));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    responses((status = 201, description = "Created; `secret` is shown only now", body = WebhookView,
               headers(("Location" = String, description = "The endpoint's URL"))),
              (status = 400, description = "Invalid fields (URL not http(s) or targeting a private address, unknown event type…)", body = crate::error::ErrorBody),
              (status = 409, description = "The URL is already registered for the same events", body = crate::error::ErrorBody),
              (status = 503, description = "The operator key is not configured", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    validate(Some(&request.events), request.description.as_deref())?;
    let events = without_repeats(request.events);
    let url = crate::signing_secrets::check_target(&state, "url", &request.url).await?;
    let id: WebhookId = crate::ids::next();
    let (secret, sealed) =
        crate::signing_secrets::new_sealed(&state, caller.tenant_id, &id.to_string())?;
    let command = Command::CreateWebhook(CreateWebhook {
        webhook_id: id,
        url,
        events,
        description: request.description,
        enabled: request.enabled.unwrap_or(true),
        secret: sealed,
    });
    submit(&state, &caller, command).await?;
    let webhook = load(&state, &caller, id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{id}")))
        .json(WebhookView::new(&webhook, Some(&secret))))
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(crate::openapi::ListParams),
    responses((status = 200, description = "A page of endpoints, newest first", body = crate::openapi::WebhookList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let client = state.store.client().await?;
    let listed = webhooks::list(&client, caller.tenant_id, page).await?;
    let views: Vec<WebhookView> = listed
        .rows
        .iter()
        .map(|w| WebhookView::new(w, None))
        .collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    responses((status = 200, description = "The endpoint", body = WebhookView),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook = load(&state, &caller, webhook_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(WebhookView::new(&webhook, None)))
}

#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    request_body = WebhookPatch,
    responses((status = 200, description = "Updated; `enabled: true` clears `disabledReason`", body = WebhookView),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody),
              (status = 409, description = "Another endpoint has the same URL and events", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(mut patch): JsonBody<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let description = match &patch.description {
        schema::agent::Patch::Set(text) => Some(text.as_str()),
        _ => None,
    };
    validate(patch.events.as_deref(), description)?;
    patch.events = patch.events.map(without_repeats);
    if let Some(url) = &patch.url {
        patch.url = Some(crate::signing_secrets::check_target(&state, "url", url).await?);
    }
    submit(
        &state,
        &caller,
        Command::UpdateWebhook(UpdateWebhook {
            webhook_id: id,
            patch,
        }),
    )
    .await?;
    let webhook = load(&state, &caller, id).await?;
    Ok(HttpResponse::Ok().json(WebhookView::new(&webhook, None)))
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    responses((status = 204, description = "Deleted; its pending deliveries fail"),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook_id = webhook_id(&path)?;
    submit(
        &state,
        &caller,
        Command::DeleteWebhook(DeleteWebhook { webhook_id }),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, operation_id = "rotate_webhook_secret", path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    responses((status = 200, description = "The new secret (shown only now); the old one keeps signing alongside for 24 h", body = WebhookView),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody),
              (status = 503, description = "The operator key is not configured", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let (secret, sealed) =
        crate::signing_secrets::new_sealed(&state, caller.tenant_id, &id.to_string())?;
    submit(
        &state,
        &caller,
        Command::RotateWebhookSecret(RotateWebhookSecret {
            webhook_id: id,
            secret: sealed,
        }),
    )
    .await?;
    let webhook = load(&state, &caller, id).await?;
    Ok(HttpResponse::Ok().json(WebhookView::new(&webhook, Some(&secret))))
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    responses((status = 202, description = "A `webhook.test` event is queued for this endpoint (whatever its filter)", body = TestResult),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn test_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook_id = webhook_id(&path)?;
    let command_id = submit(
        &state,
        &caller,
        Command::TestWebhook(TestWebhook { webhook_id }),
    )
    .await?
    .id;
    // The ids the projector derives for the event and its one delivery.
    let event_id = EventId::derived(command_id, 0);
    Ok(HttpResponse::Accepted().json(TestResult {
        event_id: event_id.to_string(),
        delivery_id: DeliveryId::for_event(event_id, 0).to_string(),
    }))
}

#[utoipa::path(get, operation_id = "list_webhook_deliveries", path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "wh_…"),
           ("status" = Option<DeliveryStatus>, Query, description = "Only deliveries in this state"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of deliveries, newest first", body = crate::openapi::DeliveryList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let page = listing::page(&query, read_store::Order::Desc)?;
    let status = listing::enum_param(
        &query,
        "status",
        |text| DeliveryStatus::parse(text).map(DeliveryStatus::as_str),
        "pending, succeeded, failed",
    )?;
    load(&state, &caller, id).await?;
    let client = state.store.client().await?;
    let listed = deliveries::list(&client, caller.tenant_id, id, status, page).await?;
    let views: Vec<DeliveryView> = listed
        .rows
        .iter()
        .map(|d| DeliveryView::new(d, None))
        .collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

/// `{id}/deliveries/{deliveryId}` of an existing endpoint of the caller.
async fn delivery_path(
    state: &AppState,
    caller: &Caller,
    (webhook, delivery): (String, String),
) -> Result<(WebhookId, DeliveryId), ApiError> {
    let webhook = webhook_id(&webhook)?;
    let delivery = delivery
        .parse()
        .map_err(|_| ApiError::not_found(ErrorCode::DeliveryNotFound, "delivery", &delivery))?;
    load(state, caller, webhook).await?;
    Ok((webhook, delivery))
}

async fn render_delivery(
    state: &AppState,
    caller: &Caller,
    webhook: WebhookId,
    id: DeliveryId,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let client = state.store.client().await?;
    let (delivery, attempts) = deliveries::get(&client, caller.tenant_id, webhook, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::DeliveryNotFound, "delivery", &id.to_string())
        })?;
    Ok(HttpResponse::build(status).json(DeliveryView::new(&delivery, Some(&attempts))))
}

#[utoipa::path(get, operation_id = "get_webhook_delivery", path = "/v1/webhooks/{id}/deliveries/{deliveryId}", tag = "webhooks",
    params(("id" = String, Path, description = "wh_…"), ("deliveryId" = String, Path, description = "dlv_…")),
    responses((status = 200, description = "The delivery with its attempt log", body = DeliveryView),
              (status = 404, description = "WEBHOOK_NOT_FOUND or DELIVERY_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (webhook, delivery) = delivery_path(&state, &caller, path.into_inner()).await?;
    render_delivery(&state, &caller, webhook, delivery, StatusCode::OK).await
}

#[utoipa::path(post, operation_id = "retry_webhook_delivery", path = "/v1/webhooks/{id}/deliveries/{deliveryId}/retry", tag = "webhooks",
    params(("id" = String, Path, description = "wh_…"), ("deliveryId" = String, Path, description = "dlv_…")),
    responses((status = 202, description = "A new attempt is due now, whatever the delivery's state", body = DeliveryView),
              (status = 404, description = "WEBHOOK_NOT_FOUND or DELIVERY_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (webhook, delivery) = delivery_path(&state, &caller, path.into_inner()).await?;
    let client = state.store.client().await?;
    if !deliveries::retry(&client, caller.tenant_id, webhook, delivery).await? {
        return Err(ApiError::not_found(
            ErrorCode::DeliveryNotFound,
            "delivery",
            &delivery.to_string(),
        ));
    }
    drop(client);
    render_delivery(&state, &caller, webhook, delivery, StatusCode::ACCEPTED).await
}

#[utoipa::path(post, operation_id = "replay_webhook_events", path = "/v1/webhooks/{id}/replay", tag = "webhooks", params(("id" = String, Path, description = "wh_…")),
    request_body = ReplayRequest,
    responses((status = 202, description = "New deliveries of every matching event since `since` (oldest first, at most 100,000), each with its original event id", body = ReplayResult),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 404, description = "WEBHOOK_NOT_FOUND", body = crate::error::ErrorBody),
              (status = 409, description = "The endpoint is disabled: enable it first", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn replay(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(request): JsonBody<ReplayRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let webhook = load(&state, &caller, id).await?;
    if !webhook.enabled {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("Webhook {id} is disabled; enable it (PATCH enabled: true) before replaying"),
        ));
    }
    if request.since > Utc::now() {
        return Err(ApiError::field("since", "must not be in the future"));
    }
    let types = domain::webhooks::subscribed_types(&webhook.events);
    let mut client = state.store.client().await?;
    let scheduled =
        deliveries::replay(&mut client, caller.tenant_id, id, request.since, &types).await?;
    Ok(HttpResponse::Accepted().json(ReplayResult { scheduled }))
}
