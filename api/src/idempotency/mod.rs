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
//! Where the log is the Postgres log beside the API's database, a route whose one write is its
//! command claims a new key in the transaction that appends that command, at no cost of its
//! own; only a key used before is claimed by a statement ahead of the handler, which then runs
//! again (see [`with_the_append`]). Routes that write outside the log, and every route on the
//! Kafka log, claim the key before the handler runs. A request that appends nothing under a new
//! key (a 404, a 400) claims it with its answer, stored before the answer goes out (and if the
//! key turns out to be taken, its answer is dropped and it is claimed as usual): two such
//! requests at once both run their handler, and the later one answers with the first one's
//! answer, replayed.
//!
//! A kept answer is stored while it goes out, off the request's path; a request with the key
//! that arrives before it is stored waits for it (up to `idempotency::ANSWER_GRACE`) and gets
//! the replay, so a client that sends the key again once it has the answer never meets 409.

mod answer;
mod with_the_append;

use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::{web, Error, HttpMessage};
use chrono::{DateTime, Utc};
use event_log::KeyClaim;
use futures::future::{ready, LocalBoxFuture, Ready};
use read_store::idempotency::{self, Claim};
use schema::{ErrorCode, TenantId};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::ids::{self, Seed};
use crate::state::AppState;
use answer::{keep_unclaimed, replay, settle, Answer, Claimed};
pub use with_the_append::{claim_with_the_append, key_taken};

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Response headers kept with the answer.
const KEPT_HEADERS: [&str; 2] = ["content-type", "location"];

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// When a route's requests claim their key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claiming {
    /// In the transaction that appends the handler's command, where the log can
    /// ([`event_log::EventLog::claims_keys`]: the Postgres log beside the API's database), and
    /// before the handler runs otherwise. For routes whose one write is the command they
    /// append.
    WithTheAppend,
    /// Before the handler runs: for routes that write outside the log, where two requests with
    /// one key must never both run.
    First,
}

/// The middleware, on one route (see `routes::mount`).
pub struct Idempotency(pub Claiming);

impl<S, B> Transform<S, ServiceRequest> for Idempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = IdempotencyService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotencyService {
            service: Rc::new(service),
            claiming: self.0,
        }))
    }
}

/// A route's handler behind the middleware: held, so that a request can run it again (see
/// [`with_the_append`]).
pub struct IdempotencyService<S> {
    service: Rc<S>,
    claiming: Claiming,
}

impl<S, B> Service<ServiceRequest> for IdempotencyService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Box::pin(handle(self.service.clone(), self.claiming, req))
    }
}

/// A request with a key, checked and read.
struct Keyed {
    state: web::Data<AppState>,
    tenant: TenantId,
    key: String,
    fingerprint: String,
    locked_until: DateTime<Utc>,
    body: web::Bytes,
}

async fn handle<S, B>(
    service: Rc<S>,
    claiming: Claiming,
    mut req: ServiceRequest,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    let applies = matches!(*req.method(), Method::POST | Method::PATCH | Method::DELETE);
    let key = req
        .headers()
        .get(HEADER)
        .map(|value| value.to_str().map(str::to_owned));
    let (true, Some(key)) = (applies, key) else {
        return Ok(service.call(req).await?.map_into_boxed_body());
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
        return Ok(service.call(req).await?.map_into_boxed_body());
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let tenant = match crate::auth::identify(&state, authorization).await {
        Ok(Some(tenant)) => tenant,
        // Unauthenticated: the handler answers 401, nothing to remember.
        Ok(None) => return Ok(service.call(req).await?.map_into_boxed_body()),
        // The key cannot be checked now (the database is away): running the handler without
        // the key's ids could apply a command that a retry would then decide a second time.
        Err(error) => return Ok(req.error_response(error).map_into_boxed_body()),
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error).map_into_boxed_body()),
    };
    let fingerprint = fingerprint(req.method(), &req.uri().to_string(), &body);
    req.set_payload(Payload::from(body.clone()));
    let locked_until = Utc::now() + state.command_timeout + chrono::Duration::seconds(5);
    let keyed = Keyed {
        state,
        tenant,
        key,
        fingerprint,
        locked_until,
        body,
    };
    if claiming == Claiming::WithTheAppend && keyed.state.log.claims_keys() {
        let first_seen = idempotency::first_use_now();
        let claim = KeyClaim {
            key: keyed.key.clone(),
            fingerprint: keyed.fingerprint.clone(),
            first_seen,
            locked_until,
        };
        let seed = Seed::new(tenant, &keyed.key, first_seen);
        let (response, ran) =
            with_the_append::run(claim, ids::with_seed(seed, service.call(req))).await;
        let (request, answer) = Answer::of(response?).await?;
        let taken = ran.taken
            || (ran.claimed == Claimed::Not
                && answer.kept()
                && !keep_unclaimed(&keyed, first_seen, &answer).await);
        if !taken {
            return Ok(settle(&keyed, first_seen, ran.claimed, request, answer).await);
        }
        // The key was used before: nothing was appended (or kept). The request is claimed
        // the usual way and runs again if it owns the key then (with the ids of its first
        // use), without counting against the rate limit a second time.
        request.extensions_mut().insert(crate::rate_limit::Counted);
        req = ServiceRequest::from_parts(request, Payload::from(keyed.body.clone()));
    }
    claim_first(&service, &keyed, req).await
}

/// Claims the key before the handler runs, and runs it if the request owns the key.
async fn claim_first<S, B>(
    service: &Rc<S>,
    keyed: &Keyed,
    req: ServiceRequest,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    let state = &keyed.state;
    let claim = idempotency::claim(
        &state.store,
        keyed.tenant,
        &keyed.key,
        &keyed.fingerprint,
        keyed.locked_until,
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
            let seed = Seed::new(keyed.tenant, &keyed.key, first_seen);
            let response = ids::with_seed(seed, service.call(req)).await?;
            let (request, answer) = Answer::of(response).await?;
            Ok(settle(keyed, first_seen, Claimed::Yes, request, answer).await)
        }
    }
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
