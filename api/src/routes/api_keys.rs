//! `/v1/api-keys`: create (the secret shown once), list, get, revoke.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use read_store::api_keys::{self, ApiKeyRow};
use schema::command::{CreateApiKey, RevokeApiKey};
use schema::tenant::Scope;
use schema::{ApiKeyId, Command, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};

use crate::auth::{generate_key, Caller};
use crate::body::JsonBody;
use crate::commands::submit;
use crate::error::ApiError;
use crate::listing::{self, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[schema(schema_with = schema::limits::schemas::key_name)]
    name: String,
    scope: Scope,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

/// An API key (its secret only in the create response, as `key`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiKey)]
pub struct ApiKeyView<'a> {
    id: String,
    name: &'a str,
    #[schema(value_type = Scope)]
    scope: &'static str,
    prefix: &'a str,
    created_at: DateTime<Utc>,
    #[schema(required = true)]
    expires_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    last_used_at: Option<DateTime<Utc>>,
    /// The secret: only in the create response.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
}

impl<'a> ApiKeyView<'a> {
    fn new(row: &'a ApiKeyRow, key: Option<&'a str>) -> Self {
        Self {
            id: row.id.to_string(),
            name: &row.name,
            scope: row.scope.as_str(),
            prefix: &row.prefix,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            key,
        }
    }
}

fn key_id(path: &str) -> Result<ApiKeyId, ApiError> {
    path.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ApiKeyNotFound, "API key", path))
}

#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", request_body = CreateKeyRequest,
    responses((status = 201, description = "Created; `key` holds the secret, shown this once", body = ApiKeyView,
               headers(("Location" = String, description = "The key's URL"))),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    domain::validate::check_text(
        "name",
        &request.name,
        domain::validate::KEY_NAME,
        &mut errors,
    );
    if request.expires_at.is_some_and(|at| at <= Utc::now()) {
        errors.push(FieldError::new("expiresAt", "must be in the future"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (secret, key_hash, prefix) = generate_key();
    let key_id: ApiKeyId = crate::ids::next();
    let command = Command::CreateApiKey(CreateApiKey {
        key_id,
        name: request.name,
        scope: request.scope,
        key_hash,
        prefix,
        expires_at: request.expires_at,
    });
    submit(&state, &caller, command).await?;
    let client = state.store.client().await?;
    let row = api_keys::get(&client, caller.tenant_id, key_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::ApiKeyNotFound, "API key", &key_id.to_string())
        })?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/v1/api-keys/{key_id}")))
        .json(ApiKeyView::new(&row, Some(&secret))))
}

#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(crate::openapi::ListParams),
    responses((status = 200, description = "A page of live keys, newest first", body = crate::openapi::ApiKeyList)),
    security(("bearer" = ["read"])))]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let client = state.store.client().await?;
    let listed = api_keys::list(&client, caller.tenant_id, page).await?;
    let views: Vec<ApiKeyView> = listed
        .rows
        .iter()
        .map(|row| ApiKeyView::new(row, None))
        .collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, description = "key_…")),
    responses((status = 200, description = "The key (no secret)", body = ApiKeyView),
              (status = 404, description = "API_KEY_NOT_FOUND (also once revoked)", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = key_id(&path)?;
    let client = state.store.client().await?;
    let row = api_keys::get(&client, caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ApiKeyNotFound, "API key", &path))?;
    Ok(HttpResponse::Ok().json(ApiKeyView::new(&row, None)))
}

/// Revokes a key (possibly the caller's own). This process forgets it at once; the others
/// within their key cache's lifetime.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, description = "key_…")),
    responses((status = 204, description = "Revoked, on every API process within a second"),
              (status = 404, description = "API_KEY_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key_id = key_id(&path)?;
    submit(
        &state,
        &caller,
        Command::RevokeApiKey(RevokeApiKey { key_id }),
    )
    .await?;
    state.keys.forget(key_id);
    Ok(HttpResponse::NoContent().finish())
}
