//! The outermost middleware: gives every request an id (`X-Request-Id`), stamps
//! `API-Version`, logs one line per request, and makes sure every error response — including
//! those actix produces itself (routing, limits) — carries the contract's error body.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};

use schema::RequestId;
use tracing::Instrument;

use crate::error::ApiError;

pub const API_VERSION: &str = "1.2";
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static API_VERSION_HEADER: HeaderName = HeaderName::from_static("api-version");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled (empty outside a request).
pub fn current_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// The caller's id if it is sane (1–128 visible characters of a safe set), else a new one.
fn request_id(req: &ServiceRequest) -> String {
    let sane = |value: &str| {
        (1..=128).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| sane(value))
        .map(str::to_owned)
        .unwrap_or_else(|| RequestId::new().to_string())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let mut response = REQUEST_ID
        .scope(id.clone(), async move {
            // The routing service turns handler and extractor errors into responses; an `Err`
            // here would come from a middleware and is passed through as it is.
            let response = next.call(req).await?.map_into_boxed_body();
            let status = response.status();
            let is_json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
            if status.as_u16() >= 400 && !is_json {
                let (request, _) = response.into_parts();
                return Ok(ServiceResponse::new(
                    request,
                    ApiError::for_status(status).error_response(),
                ));
            }
            Ok::<_, Error>(response)
        })
        // Every line logged while handling the request carries its id.
        .instrument(tracing::info_span!("request", request_id = %id))
        .await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = response
        .request()
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
    {
        let status = response.status().as_u16().to_string();
        let labels = [
            ("method", method.as_str()),
            ("route", route.as_str()),
            ("status", status.as_str()),
        ];
        state
            .metrics
            .histogram_with(
                "agenfleet_http_request_duration_seconds",
                "Time to answer an API request",
                ops::metrics::LATENCY_SECONDS_BUCKETS,
                &labels,
            )
            .observe_duration(started.elapsed());
    }
    let rate = response
        .request()
        .extensions()
        .get::<crate::rate_limit::RateStatus>()
        .copied();
    let headers = response.headers_mut();
    if let Some(rate) = rate {
        rate.write_headers(headers);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    headers.insert(
        API_VERSION_HEADER.clone(),
        HeaderValue::from_static(API_VERSION),
    );
    tracing::info!(
        request_id = %id,
        %method,
        path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    Ok(response)
}
