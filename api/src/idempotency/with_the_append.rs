//! The key a request claims with its command's append ([`super::Claiming::WithTheAppend`]),
//! and what became of it.
//!
//! A request whose key is new (nearly every one) then costs no statement, transaction or round
//! trip of its own before its append: the append inserts the key and appends the command only
//! if it inserted it. If the key was there (a retry after a 5xx or a lock run out, the same
//! request twice at once, a request with a key used for another), nothing was appended under
//! the ids this request derived from its own first use; the middleware drops the handler's
//! answer and claims the key as usual: it answers 409, 422 or the kept answer, or, owning the
//! key, runs the handler again with the ids of the key's first use. Only the first append of a
//! request claims the key.

use std::cell::{Cell, RefCell};
use std::future::Future;

use event_log::KeyClaim;
use schema::ErrorCode;

use super::answer::Claimed;
use crate::error::ApiError;

struct WithTheAppend {
    claim: RefCell<Option<KeyClaim>>,
    taken: Cell<bool>,
}

tokio::task_local! {
    static WITH_THE_APPEND: WithTheAppend;
}

/// What became of the key a request was to claim with its append.
pub(super) struct Ran {
    /// Its append found the key taken: nothing was appended.
    pub taken: bool,
    pub claimed: Claimed,
}

/// Runs `handler` with `claim` to be claimed by its first append.
pub(super) async fn run<F: Future>(claim: KeyClaim, handler: F) -> (F::Output, Ran) {
    let with_the_append = WithTheAppend {
        claim: RefCell::new(Some(claim)),
        taken: Cell::new(false),
    };
    WITH_THE_APPEND
        .scope(with_the_append, async {
            let output = handler.await;
            WITH_THE_APPEND.with(|w| {
                let claimed = match w.claim.borrow().is_some() {
                    true => Claimed::Not,
                    false => Claimed::Yes,
                };
                let taken = w.taken.get();
                (output, Ran { taken, claimed })
            })
        })
        .await
}

/// The key this request's append is to claim, if it is to claim one; the first call takes it.
pub fn claim_with_the_append() -> Option<KeyClaim> {
    WITH_THE_APPEND
        .try_with(|w| w.claim.borrow_mut().take())
        .ok()
        .flatten()
}

/// Tells the middleware that this request's append found its key taken: the error the
/// handler answers with goes nowhere (the middleware claims the key and answers instead), and
/// is not logged as a failure — a retry with its key is no error.
pub fn key_taken() -> ApiError {
    let _ = WITH_THE_APPEND.try_with(|w| w.taken.set(true));
    ApiError::new(
        ErrorCode::IdempotencyKeyInUse,
        "This Idempotency-Key was used before; the request is claimed again",
    )
}
