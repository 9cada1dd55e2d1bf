//! `Idempotency-Key` on POST, PATCH and DELETE: the first request with a key runs and its
//! answer is kept 24 hours; the same request again gets that answer with
//! `Idempotent-Replayed: true`; another request with the key gets 422; while the first runs,
//! 409. Answers >= 500 and 429 are not kept: a retry runs again. After a 5xx the key keeps its
//! first use, so the retry — on any API process, after a crash too — derives the same command
//! (see `ids`): a command that did reach the log before the failure (a 504 `COMMAND_TIMEOUT`, or
//! a 503 when the database went away while the API waited for the outcome) is decided once, and
//! the retry answers with its outcome instead of deciding it twice (a 409 for the agent the
//! first attempt created). After a 429 the key is forgotten: nothing was applied, and a retry
//! once the window or budget has reset must be decided anew.
//!
//! A kept answer is stored while it goes out, off the request's path; a request with the key
//! that arrives before it is stored waits for it (up to `idempotency::ANSWER_GRACE`) and gets
//! the replay, so a client that sends the key again once it has the answer never meets 409.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use read_store::idempotency::{self, Claim, StoredResponse};
use schema::{ErrorCode, TenantId};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::ids::{self, Seed};
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Response headers kept with the answer.
const KEPT_HEADERS: [&str; 2] = ["content-type", "location"];

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = matches!(*req.method(), Method::POST | Method::PATCH | Method::DELETE);
    let key = req
        .headers()
        .get(HEADER)
        .map(|value| value.to_str().map(str::to_owned));
    let (true, Some(key)) = (applies, key) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(key) = key
        .map_err(drop)
        .and_then(|key| if valid_key(&key) { Ok(key) } else { Err(()) })
    else {
        let error = ApiError::field(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        );
        return Ok(req.error_response(error).map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let tenant = match crate::auth::identify(&state, authorization).await {
        Ok(Some(tenant)) => tenant,
        // Unauthenticated: the handler answers 401, nothing to remember.
        Ok(None) => return Ok(next.call(req).await?.map_into_boxed_body()),
        // The key cannot be checked now (the database is away): running the handler without
        // the key's ids could apply a command that a retry would then decide a second time.
        Err(error) => return Ok(req.error_response(error).map_into_boxed_body()),
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error).map_into_boxed_body()),
    };
    let fingerprint = fingerprint(req.method(), &req.uri().to_string(), &body);
    req.set_payload(actix_web::dev::Payload::from(body));

    let locked_until = chrono::Utc::now() + state.command_timeout + chrono::Duration::seconds(5);
    let claim = idempotency::claim(
        &state.store,
        tenant,
        &key,
        &fingerprint,
        locked_until,
        state.log.flushed_with_read_models(),
    );
    match claim.await.map_err(ApiError::from) {
        Err(error) => Ok(req.error_response(error).map_into_boxed_body()),
        Ok(Claim::Mismatch) => {
            let error = ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used for a different request (method, path or body)",
            );
            Ok(req.error_response(error).map_into_boxed_body())
        }
        Ok(Claim::InFlight) => {
            let error = ApiError::new(
                ErrorCode::IdempotencyKeyInUse,
                "A request with this Idempotency-Key is still being processed; retry shortly",
            );
            Ok(req.error_response(error).map_into_boxed_body())
        }
        Ok(Claim::Completed(stored)) => {
            state.signals.idempotent_replays.inc();
            let (request, _) = req.into_parts();
            Ok(ServiceResponse::new(request, replay(&stored)))
        }
        Ok(Claim::Owned { first_seen }) => {
            let seed = Seed::new(tenant, &key, first_seen);
            let response = ids::with_seed(seed, next.call(req)).await?;
            remember(&state, tenant, &key, response).await
        }
    }
}

/// Keeps the answer (or releases the key), and passes it on.
async fn remember(
    state: &AppState,
    tenant: TenantId,
    key: &str,
    response: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (request, response) = response.into_parts();
    let status = response.status();
    let all_headers = response.headers().clone();
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            Some((
                name.to_string(),
                response.headers().get(*name)?.to_str().ok()?.to_owned(),
            ))
        })
        .collect();
    let body = to_bytes(response.into_body())
        .await
        .map_err(|_| ApiError::internal("response body unreadable"))?;
    let stored = StoredResponse {
        status: status.as_u16(),
        headers,
        body: body.to_vec(),
    };
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        let bookkeeping = async {
            let client = state.store.lookup_client().await?;
            if status.is_server_error() {
                // The command may be in the log: a retry must build the same one.
                idempotency::release(&client, tenant, key).await
            } else {
                // Nothing was applied; a retry after `Retry-After` must be decided anew.
                idempotency::forget(&client, tenant, key).await
            }
        };
        if let Err(error) = bookkeeping.await {
            // The answer stands; a retry finds the key still locked until its lock runs out.
            tracing::warn!(%error, "cannot release the key of an idempotent request");
        }
    } else {
        // Stored while the answer goes out, not before: off the request's path (a round trip
        // and a transaction), gathered with others (`kept_answers`). A request with the key
        // that arrives in between waits for it (`idempotency::claim`); one that finds it
        // missing after a failure (the database away, the process killed) finds the key locked
        // until its lock runs out, and then runs again, deriving the same command, which the
        // projector decides only once.
        state.answers.keep(idempotency::Answer {
            tenant,
            key: key.to_owned(),
            response: stored,
        });
    }
    // This answer goes out as the handler wrote it, every header included (`Retry-After`,
    // rate-limit headers); a replay later carries only the kept ones.
    let mut first = HttpResponse::build(status);
    for (name, value) in &all_headers {
        first.append_header((name.clone(), value.clone()));
    }
    Ok(ServiceResponse::new(request, first.body(body)))
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((
        HeaderName::from_static(REPLAYED),
        HeaderValue::from_static("true"),
    ));
    response.body(stored.body.clone())
}

async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, ApiError> {
    crate::body::read_limited(req.take_payload()).await
}

fn fingerprint(method: &Method, uri: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b"\n");
    hash.update(uri.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}
