//! `GET /v1/models`: the model catalog.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::listing::{Envelope, Pagination};
use crate::openapi::Model;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

#[utoipa::path(get, path = "/v1/models", tag = "models",
    responses((status = 200, description = "The model catalog", body = crate::openapi::ModelList)),
    security(("bearer" = ["read"])))]
pub async fn list_models(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let data: Vec<Model> = state
        .catalog
        .models()
        .iter()
        .map(|model| Model {
            id: model.id.clone(),
            provider: model.provider.clone(),
            input_price_per_m_tok_usd: model.input_micro_usd_per_mtok as f64 / 1e6,
            output_price_per_m_tok_usd: model.output_micro_usd_per_mtok as f64 / 1e6,
        })
        .collect();
    let total = data.len() as i64;
    Ok(HttpResponse::Ok().json(Envelope {
        data: &data,
        pagination: Pagination {
            total,
            limit: total,
            offset: 0,
            has_more: false,
        },
    }))
}
