//! `GET /v1/models`: the model catalog.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/models", tag = "models",
    responses((status = 200, description = "The model catalog", body = crate::openapi::ModelList)),
    security(("bearer" = ["read"])))]
pub async fn list_models(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let models = state.catalog.models();
    let data: Vec<_> = models
        .iter()
        .map(|model| {
            json!({
                "id": model.id,
                "provider": model.provider,
                "inputPricePerMTokUsd": model.input_micro_usd_per_mtok as f64 / 1e6,
                "outputPricePerMTokUsd": model.output_micro_usd_per_mtok as f64 / 1e6,
            })
        })
        .collect();
    let total = data.len();
    Ok(HttpResponse::Ok().json(json!({
        "data": data,
        "pagination": { "total": total, "limit": total, "offset": 0, "hasMore": false }
    })))
}
