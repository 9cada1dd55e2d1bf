//! `/v1/agents`: create, list, get, merge-patch, delete, SOUL, heartbeat.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use read_store::agents::{self, AgentRow};
use schema::agent::{
    AgentConfig, AgentConfigPatch, AgentPatch, AgentStatus, GatewayPatch, HeartbeatState,
};
use schema::command::{CreateAgent, DeleteAgent, RecordHeartbeat, SetAgentSoul, UpdateAgent};
use schema::{AgentId, Command, ErrorCode};
use serde::Deserialize;

use crate::auth::Caller;
use crate::body::{json_from_raw, JsonBody, RawBody};
use crate::commands::submit;
use crate::error::ApiError;
use crate::listing::{self, Query};
use crate::state::AppState;
use crate::views::AgentView;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAgentRequest {
    #[schema(schema_with = schema::limits::schemas::agent_name)]
    name: String,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::agent_role)]
    role: Option<String>,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::description)]
    description: Option<String>,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::soul)]
    soul: Option<String>,
    #[serde(default)]
    config: Option<AgentConfigPatch>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatRequest {
    #[serde(default)]
    state: Option<HeartbeatState>,
    /// At most 86,400,000 (24 h).
    #[serde(default)]
    #[schema(maximum = 86_400_000)]
    #[serde(deserialize_with = "schema::whole::option_u64")]
    latency_ms: Option<u64>,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::heartbeat_detail)]
    detail: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoulRequest {
    #[schema(schema_with = schema::limits::schemas::soul)]
    soul: String,
}

/// An agent id from the path; a malformed one is simply not found.
fn agent_id(path: &str) -> Result<AgentId, ApiError> {
    path.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::AgentNotFound, "agent", path))
}

/// When a request sets `config.gateway.url`: the URL passes the SSRF guard, and a new signing
/// secret (plain, sealed) is issued for the gateway's deliveries.
async fn gateway_secret(
    state: &AppState,
    caller: &Caller,
    agent_id: AgentId,
    config: &AgentConfigPatch,
) -> Result<Option<(String, String)>, ApiError> {
    let schema::agent::Patch::Set(GatewayPatch { url: Some(url) }) = &config.gateway else {
        return Ok(None);
    };
    crate::signing_secrets::check_target(state, "config.gateway.url", url).await?;
    crate::signing_secrets::new_sealed(state, caller.tenant_id, &agent_id.to_string()).map(Some)
}

async fn render_agent(
    state: &AppState,
    caller: &Caller,
    id: AgentId,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    render_agent_with_secret(state, caller, id, status, None).await
}

/// The agent, with its new gateway secret when the request set one.
async fn render_agent_with_secret(
    state: &AppState,
    caller: &Caller,
    id: AgentId,
    status: actix_web::http::StatusCode,
    gateway_secret: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let row = agents::find(&state.store, caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::AgentNotFound, "agent", &id.to_string()))?;
    Ok(agent_response(&row, status, gateway_secret))
}

fn agent_response(
    row: &AgentRow,
    status: actix_web::http::StatusCode,
    gateway_secret: Option<String>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == actix_web::http::StatusCode::CREATED {
        let id = row.state.id;
        response.insert_header((header::LOCATION, format!("/v1/agents/{id}")));
    }
    let mut view = AgentView::from(row);
    view.gateway_secret = gateway_secret;
    response.json(view)
}

#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = CreateAgentRequest,
    responses((status = 201, description = "Created and applied", body = AgentView,
               headers(("Location" = String, description = "The agent's URL"))),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 409, description = "CONFLICT: the name is taken (ignoring case)", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn create_agent(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateAgentRequest>,
) -> Result<HttpResponse, ApiError> {
    let config_patch = request.config.unwrap_or_default();
    let errors = domain::validate::new_agent(
        &request.name,
        request.role.as_deref(),
        request.description.as_deref(),
        request.soul.as_deref(),
        &config_patch,
        &state.catalog,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let agent_id: AgentId = crate::ids::next();
    let gateway = gateway_secret(&state, &caller, agent_id, &config_patch).await?;
    let create = CreateAgent {
        agent_id,
        name: request.name,
        role: request.role,
        description: request.description,
        soul: request.soul,
        config: AgentConfig::default().merged(config_patch),
        gateway_secret: gateway.as_ref().map(|(_, sealed)| sealed.clone()),
    };
    let applied = submit(&state, &caller, Command::CreateAgent(create.clone())).await?;
    let secret = gateway.map(|(secret, _)| secret);
    let created = actix_web::http::StatusCode::CREATED;
    if applied.as_issued {
        // The row the projector stored for this very record, built as it built it: nothing to
        // read back. The answer shows the agent as the create left it (a change after it, by a
        // request that found the agent in a list, may already be applied).
        let row = AgentRow::created(&domain::decide::created_agent(&create, applied.issued_at));
        return Ok(agent_response(&row, created, secret));
    }
    // Decided by an earlier record with this command id (a retry): answer what it stored.
    render_agent_with_secret(&state, &caller, agent_id, created, secret).await
}

#[utoipa::path(get, path = "/v1/agents", tag = "agents",
    params(("status" = Option<schema::agent::AgentStatus>, Query, description = "Only agents with this status"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of agents, newest first", body = crate::openapi::AgentList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_agents(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(AgentStatus::parse(text).ok_or_else(|| {
            ApiError::field(
                "status",
                "must be one of provisioning, online, degraded, offline",
            )
        })?),
    };
    let client = state.store.client().await?;
    let listed = agents::list(&client, caller.tenant_id, status, page).await?;
    let views: Vec<AgentView> = listed.rows.iter().map(AgentView::from).collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    responses((status = 200, description = "The agent", body = AgentView),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_agent(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = agent_id(&path)?;
    render_agent(&state, &caller, id, actix_web::http::StatusCode::OK).await
}

#[utoipa::path(patch, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    request_body(content = schema::agent::AgentPatch, description = "JSON merge patch (RFC 7396): nested objects merge, null clears",
                 content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The agent after the change", body = AgentView),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody),
              (status = 409, description = "CONFLICT: the new name is taken", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn update_agent(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(patch): JsonBody<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    let agent_id = agent_id(&path)?;
    let errors = domain::validate::agent_patch(&patch, &state.catalog);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let gateway = match &patch.config {
        Some(config) => gateway_secret(&state, &caller, agent_id, config).await?,
        None => None,
    };
    submit(
        &state,
        &caller,
        Command::UpdateAgent(UpdateAgent {
            agent_id,
            patch,
            gateway_secret: gateway.as_ref().map(|(_, sealed)| sealed.clone()),
        }),
    )
    .await?;
    render_agent_with_secret(
        &state,
        &caller,
        agent_id,
        actix_web::http::StatusCode::OK,
        gateway.map(|(secret, _)| secret),
    )
    .await
}

#[utoipa::path(delete, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    responses((status = 204, description = "Deleted; the name is free again"),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn delete_agent(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let agent_id = agent_id(&path)?;
    submit(
        &state,
        &caller,
        Command::DeleteAgent(DeleteAgent { agent_id }),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/v1/agents/{id}/soul", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    responses((status = 200, description = "The SOUL file (empty when none)", body = String, content_type = "text/markdown"),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_agent_soul(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = agent_id(&path)?;
    let client = state.store.client().await?;
    let soul = agents::soul(&client, caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::AgentNotFound, "agent", &path))?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(soul.unwrap_or_default()))
}

/// `PUT /v1/agents/{id}/soul` with a `text/markdown` body or `{"soul": "..."}`.
#[utoipa::path(put, path = "/v1/agents/{id}/soul", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    request_body(content((String = "text/markdown"), (SoulRequest = "application/json")), description = "At most 64 KiB"),
    responses((status = 200, description = "The agent with its new soulSha256", body = AgentView),
              (status = 400, description = "Too large or not UTF-8", body = crate::error::ErrorBody),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn put_agent_soul(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let agent_id = agent_id(&path)?;
    let soul = match body.media_type.as_deref() {
        Some("text/markdown" | "text/plain") => String::from_utf8(body.bytes.to_vec())
            .map_err(|_| ApiError::field("body", "is not valid UTF-8"))?,
        _ => json_from_raw::<SoulRequest>(&body)?.soul,
    };
    let errors = domain::validate::soul(&soul);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    submit(
        &state,
        &caller,
        Command::SetAgentSoul(SetAgentSoul { agent_id, soul }),
    )
    .await?;
    render_agent(&state, &caller, agent_id, actix_web::http::StatusCode::OK).await
}

#[utoipa::path(post, path = "/v1/agents/{id}/heartbeat", tag = "agents", params(("id" = String, Path, description = "agent_…")),
    request_body(content = HeartbeatRequest, description = "Optional: an empty body is an ok heartbeat"),
    responses((status = 204, description = "Recorded"),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn record_heartbeat(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(request): JsonBody<HeartbeatRequest>,
) -> Result<HttpResponse, ApiError> {
    let agent_id = agent_id(&path)?;
    let errors = domain::validate::heartbeat(request.detail.as_deref(), request.latency_ms);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let command = Command::RecordHeartbeat(RecordHeartbeat {
        agent_id,
        state: request.state.unwrap_or_default(),
        latency_ms: request.latency_ms,
        detail: request.detail,
    });
    submit(&state, &caller, command).await?;
    Ok(HttpResponse::NoContent().finish())
}
