//! A handler's answer to a request with a key: kept to be replayed (or the key released), and
//! sent.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, Error, HttpResponse};
use chrono::{DateTime, Utc};
use read_store::idempotency::{self, StoredResponse};

use super::{Keyed, KEPT_HEADERS, REPLAYED};
use crate::error::ApiError;

/// Whether a request's key has a row of its claim when its answer is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Claimed {
    /// Claimed before the handler ran, or with its append (which may have failed after it
    /// inserted the key).
    Yes,
    /// To be claimed with an append the request never made (see `super::with_the_append`).
    Not,
}

/// A handler's answer, read.
pub(super) struct Answer {
    status: StatusCode,
    /// Every header, as the handler wrote them.
    headers: header::HeaderMap,
    body: web::Bytes,
}

impl Answer {
    pub(super) async fn of(
        response: ServiceResponse<impl MessageBody + 'static>,
    ) -> Result<(actix_web::HttpRequest, Self), Error> {
        let (request, response) = response.into_parts();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body())
            .await
            .map_err(|_| ApiError::internal("response body unreadable"))?;
        Ok((
            request,
            Self {
                status,
                headers,
                body,
            },
        ))
    }

    /// Whether it is kept to be replayed: answers >= 500 and 429 are not, a retry runs again.
    pub(super) fn kept(&self) -> bool {
        !(self.status.is_server_error() || self.status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// What is kept of it for `keyed`'s key, first used at `first_seen`.
    fn to_keep(&self, keyed: &Keyed, first_seen: DateTime<Utc>) -> idempotency::Answer {
        let headers = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = self.headers.get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.to_owned()))
            })
            .collect();
        idempotency::Answer {
            tenant: keyed.tenant,
            key: keyed.key.clone(),
            fingerprint: keyed.fingerprint.clone(),
            first_seen,
            response: StoredResponse {
                status: self.status.as_u16(),
                headers,
                body: self.body.to_vec(),
            },
        }
    }
}

/// Claims the key of a request that appended nothing ([`Claimed::Not`]) with its answer,
/// stored before the answer goes out, so that the same request sent again once it has the
/// answer finds it (it cannot wait for a claim that is not there). False: the key was taken.
/// An answer that cannot be stored (Postgres away) goes out all the same; the same request
/// sent again then runs again, which appends nothing it would not append anyway.
pub(super) async fn keep_unclaimed(
    keyed: &Keyed,
    first_seen: DateTime<Utc>,
    answer: &Answer,
) -> bool {
    let kept = async {
        let client = keyed.state.store.lookup_client().await?;
        idempotency::keep_unclaimed(&client, &answer.to_keep(keyed, first_seen)).await
    };
    kept.await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot keep the answer of an idempotent request");
        true
    })
}

/// Keeps the answer of a request that claimed its key (or releases the key), and passes it on.
pub(super) async fn settle(
    keyed: &Keyed,
    first_seen: DateTime<Utc>,
    claimed: Claimed,
    request: actix_web::HttpRequest,
    answer: Answer,
) -> ServiceResponse<BoxBody> {
    let state = &keyed.state;
    if claimed == Claimed::Not {
        // No row holds the key: nothing to release; a kept answer is stored already.
    } else if !answer.kept() {
        let bookkeeping = async {
            let client = state.store.lookup_client().await?;
            let (tenant, key) = (keyed.tenant, keyed.key.as_str());
            if answer.status.is_server_error() {
                // The command may be in the log: a retry must build the same one.
                idempotency::release(&client, tenant, key, first_seen).await
            } else {
                // Nothing was applied; a retry after `Retry-After` must be decided anew.
                idempotency::forget(&client, tenant, key, first_seen).await
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
        state.answers.keep(answer.to_keep(keyed, first_seen));
    }
    // This answer goes out as the handler wrote it, every header included (`Retry-After`,
    // rate-limit headers); a replay later carries only the kept ones.
    let mut first = HttpResponse::build(answer.status);
    for (name, value) in &answer.headers {
        first.append_header((name.clone(), value.clone()));
    }
    ServiceResponse::new(request, first.body(answer.body))
}

pub(super) fn replay(stored: &StoredResponse) -> HttpResponse {
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
