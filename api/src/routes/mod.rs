//! The route table. Each resource lists its methods; any other method on a known path is 405,
//! any unknown path 404, both with the contract's error body.

use actix_web::{web, HttpResponse};
use schema::ErrorCode;

use crate::error::ApiError;

pub mod agents;
pub mod api_keys;
pub mod models;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .wrap(actix_web::middleware::from_fn(
                crate::idempotency::middleware,
            ))
            .service(
                web::resource("/agents")
                    .route(web::post().to(agents::create_agent))
                    .route(web::get().to(agents::list_agents))
                    .route(web::head().to(agents::list_agents))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/agents/{id}")
                    .route(web::get().to(agents::get_agent))
                    .route(web::head().to(agents::get_agent))
                    .route(web::patch().to(agents::update_agent))
                    .route(web::delete().to(agents::delete_agent))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/agents/{id}/soul")
                    .route(web::get().to(agents::get_agent_soul))
                    .route(web::head().to(agents::get_agent_soul))
                    .route(web::put().to(agents::put_agent_soul))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/agents/{id}/heartbeat")
                    .route(web::post().to(agents::record_heartbeat))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/api-keys")
                    .route(web::post().to(api_keys::create_api_key))
                    .route(web::get().to(api_keys::list_api_keys))
                    .route(web::head().to(api_keys::list_api_keys))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/api-keys/{id}")
                    .route(web::get().to(api_keys::get_api_key))
                    .route(web::head().to(api_keys::get_api_key))
                    .route(web::delete().to(api_keys::revoke_api_key))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/models")
                    .route(web::get().to(models::list_models))
                    .route(web::head().to(models::list_models))
                    .default_service(web::to(method_not_allowed)),
            ),
    );
}

pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        "This method is not allowed on this route",
    ))
}

pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "No such route; see /v1/openapi.json",
    ))
}
