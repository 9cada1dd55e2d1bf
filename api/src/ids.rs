//! Ids for new resources and commands. Normally fresh ULIDs; inside a request that carries an
//! `Idempotency-Key`, derived from the tenant, the key and the key's first use instead, so that
//! a retry of the same request builds the very same command (same `commandId`, same agent id):
//! appending it again is harmless (the projector decides a command id once) and the retry
//! answers with the outcome of the first attempt.

use std::cell::Cell;

use chrono::{DateTime, Utc};
use schema::ids::PrefixedId;
use sha2::{Digest, Sha256};
use ulid::Ulid;

/// Where derived ids come from within one request.
#[derive(Clone, Copy)]
pub struct Seed {
    pub secret: [u8; 32],
    pub time: DateTime<Utc>,
}

impl Seed {
    pub fn new(tenant: schema::TenantId, key: &str, first_seen: DateTime<Utc>) -> Self {
        let mut hash = Sha256::new();
        hash.update(tenant.to_string().as_bytes());
        hash.update([0]);
        hash.update(key.as_bytes());
        Self {
            secret: hash.finalize().into(),
            time: first_seen,
        }
    }
}

tokio::task_local! {
    static SEED: (Seed, Cell<u32>);
}

/// Runs `work` with ids derived from `seed`.
pub async fn with_seed<F: std::future::Future>(seed: Seed, work: F) -> F::Output {
    SEED.scope((seed, Cell::new(0)), work).await
}

/// A new id: derived from the request's seed when there is one, else fresh.
pub fn next<T: PrefixedId>() -> T {
    let derived = SEED.try_with(|(seed, counter)| {
        let index = counter.get();
        counter.set(index + 1);
        let mut hash = Sha256::new();
        hash.update(seed.secret);
        hash.update(index.to_be_bytes());
        let digest = hash.finalize();
        let mut random = [0u8; 16];
        random.copy_from_slice(&digest[..16]);
        let millis = seed.time.timestamp_millis().max(0) as u64;
        Ulid::from_parts(millis, u128::from_be_bytes(random))
    });
    T::from_ulid(derived.unwrap_or_else(|_| Ulid::new()))
}
