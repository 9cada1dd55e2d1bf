//! The route table. Each path lists its methods once, here: the same table mounts the routes
//! and feeds [`ROUTES`], which a test checks against the OpenAPI document. Any other method on
//! a known path is 405, any unknown path 404, both with the contract's error body.

use actix_web::{web, HttpResponse};
use schema::ErrorCode;

use crate::error::ApiError;

pub mod activity;
pub mod agents;
pub mod api_keys;
pub mod cron_jobs;
pub mod metrics;
pub mod models;
pub mod sessions;
pub mod webhooks;

/// When a route's requests claim their `Idempotency-Key` (see `idempotency::Claiming`): with
/// the command the handler appends, unless the route says `[claims_first]` (it writes outside
/// the log).
macro_rules! claiming {
    () => {
        crate::idempotency::Claiming::WithTheAppend
    };
    (claims_first) => {
        crate::idempotency::Claiming::First
    };
}

macro_rules! route_table {
    ($( $path:literal { $( $method:ident => $handler:path $([$claiming:ident])? ),+ $(,)? } )+) => {
        /// Every `(method, path)` the API mounts under `/v1`.
        pub const ROUTES: &[(&str, &str)] = &[ $( $( (stringify!($method), $path), )+ )+ ];

        fn mount(scope: actix_web::Scope) -> actix_web::Scope {
            scope $(
                .service(
                    web::resource($path)
                        // `Idempotency-Key` on each route, not the scope: a method the
                        // route does not serve is a 405 whatever key it carries.
                        $( .route(web::$method().to($handler).wrap(
                            crate::idempotency::Idempotency(claiming!($($claiming)?)),
                        )) )+
                        .default_service(web::to(|| {
                            method_not_allowed(&[$( stringify!($method) ),+])
                        })),
                )
            )+
        }
    };
}

route_table! {
    "/agents" {
        post => agents::create_agent,
        get => agents::list_agents,
        head => agents::list_agents,
    }
    "/agents/{id}" {
        get => agents::get_agent,
        head => agents::get_agent,
        patch => agents::update_agent,
        delete => agents::delete_agent,
    }
    "/agents/{id}/soul" {
        get => agents::get_agent_soul,
        head => agents::get_agent_soul,
        put => agents::put_agent_soul,
    }
    "/agents/{id}/heartbeat" {
        post => agents::record_heartbeat,
    }
    "/agents/{id}/metrics" {
        get => metrics::get_agent_metrics,
        head => metrics::get_agent_metrics,
    }
    "/api-keys" {
        post => api_keys::create_api_key,
        get => api_keys::list_api_keys,
        head => api_keys::list_api_keys,
    }
    "/api-keys/{id}" {
        get => api_keys::get_api_key,
        head => api_keys::get_api_key,
        delete => api_keys::revoke_api_key,
    }
    "/metrics/summary" {
        get => metrics::get_metrics_summary,
        head => metrics::get_metrics_summary,
    }
    "/metrics/agents" {
        get => metrics::list_agent_metrics,
        head => metrics::list_agent_metrics,
    }
    "/models" {
        get => models::list_models,
        head => models::list_models,
    }
    "/sessions" {
        post => sessions::create_session,
        get => sessions::list_sessions,
        head => sessions::list_sessions,
    }
    // Before "/sessions/{id}", which would otherwise answer it.
    "/sessions/prune" {
        post => sessions::prune_sessions,
    }
    "/sessions/{id}" {
        get => sessions::get_session,
        head => sessions::get_session,
    }
    "/sessions/{id}/archive" {
        post => sessions::archive_session,
    }
    "/sessions/{id}/messages" {
        post => sessions::post_message,
        get => sessions::list_messages,
        head => sessions::list_messages,
    }
    "/activity" {
        get => activity::list_activity,
        head => activity::list_activity,
    }
    // Before "/activity/{id}", which would otherwise answer them.
    "/activity/verify" {
        get => activity::verify_activity,
        head => activity::verify_activity,
    }
    "/activity/stream" {
        get => crate::activity_stream::stream_activity,
    }
    "/activity/{id}" {
        get => activity::get_activity,
        head => activity::get_activity,
    }
    "/webhooks" {
        post => webhooks::create_webhook,
        get => webhooks::list_webhooks,
        head => webhooks::list_webhooks,
    }
    "/webhooks/{id}" {
        get => webhooks::get_webhook,
        head => webhooks::get_webhook,
        patch => webhooks::update_webhook,
        delete => webhooks::delete_webhook,
    }
    "/webhooks/{id}/rotate-secret" {
        post => webhooks::rotate_secret,
    }
    "/webhooks/{id}/test" {
        post => webhooks::test_webhook,
    }
    "/webhooks/{id}/replay" {
        post => webhooks::replay [claims_first],
    }
    "/webhooks/{id}/deliveries" {
        get => webhooks::list_deliveries,
        head => webhooks::list_deliveries,
    }
    "/webhooks/{id}/deliveries/{deliveryId}" {
        get => webhooks::get_delivery,
        head => webhooks::get_delivery,
    }
    "/webhooks/{id}/deliveries/{deliveryId}/retry" {
        post => webhooks::retry_delivery [claims_first],
    }
    "/cron-jobs" {
        post => cron_jobs::create_cron_job,
        get => cron_jobs::list_cron_jobs,
        head => cron_jobs::list_cron_jobs,
    }
    "/cron-jobs/{id}" {
        get => cron_jobs::get_cron_job,
        head => cron_jobs::get_cron_job,
        patch => cron_jobs::update_cron_job,
        delete => cron_jobs::delete_cron_job,
    }
    "/cron-jobs/{id}/run" {
        post => cron_jobs::run_cron_job,
    }
    "/cron-jobs/{id}/runs" {
        get => cron_jobs::list_runs,
        head => cron_jobs::list_runs,
    }
    "/cron-jobs/{id}/runs/{runId}" {
        get => cron_jobs::get_run,
        head => cron_jobs::get_run,
    }
    "/openapi.json" {
        get => crate::openapi::get_openapi,
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(mount(web::scope("/v1")));
}

/// 405 with `Allow` naming the route's methods (RFC 9110 §15.5.6).
pub async fn method_not_allowed(
    methods: &'static [&'static str],
) -> Result<HttpResponse, ApiError> {
    let allow = methods
        .iter()
        .map(|method| method.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    let mut error = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("This method is not allowed on this route; it allows {allow}"),
    );
    error.allow = Some(allow);
    Err(error)
}

pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "No such route; see /v1/openapi.json",
    ))
}
