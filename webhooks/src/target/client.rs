//! The HTTP client deliveries are sent with, and the DNS resolver that keeps it off forbidden
//! addresses at connect time, whatever the name resolved to when the webhook was created.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{is_forbidden, TargetError, TargetPolicy};

/// The `user-agent` of every delivery (API contract §9).
pub const USER_AGENT: &str = "AgenFleet-Webhooks/1";

/// Idle connections kept per receiving host, so steady traffic to one endpoint skips handshakes.
/// One endpoint never has more than its in-flight limit (`…_CONCURRENCY_PER_TARGET`, 16) to
/// leave idle; a host several endpoints share (hooks.slack.com) keeps at most this many.
const POOL_MAX_IDLE_PER_HOST: usize = 32;

/// How long an idle pooled connection is kept before it is closed.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest a connection may take to open: DNS, TCP and the TLS handshake together (never
/// more than the whole attempt's timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `reqwest` resolver that drops forbidden addresses (unless the policy allows private
/// targets) and fails when none remain. Checking the addresses actually connected to, rather
/// than only at creation, defeats DNS rebinding.
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    policy: TargetPolicy,
}

impl GuardedResolver {
    pub fn new(policy: TargetPolicy) -> GuardedResolver {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: reqwest substitutes the URL's port.
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = resolved
                .filter(|addr| policy.allow_private || !is_forbidden(addr.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(TargetError::OnlyForbidden { host }).into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The delivery client: never follows redirects (a 3xx could point anywhere, and counts as a
/// failed delivery), ignores proxy environment variables (a proxy would resolve names itself,
/// past the guard), resolves through [`GuardedResolver`], and gives up after `timeout`. It speaks
/// HTTP/1.1 only, so a response head is bounded by hyper's HTTP/1 limits (100 headers, about
/// 400 KiB); connecting (with TLS) is cut at [`CONNECT_TIMEOUT`]; at most 32 idle connections
/// are kept per host, each closed after 30 s idle. The body is the caller's to read, within its
/// own limits.
///
/// Callers must still run [`super::check_literal`] before sending to an IP-literal host.
///
/// # Panics
///
/// Only if the TLS backend cannot initialise, as `reqwest::Client::new` would.
pub fn http_client(policy: TargetPolicy, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(policy)))
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT))
        .http1_only()
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .build()
        .expect("the HTTP client's TLS backend initialises")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn name(host: &str) -> Name {
        Name::from_str(host).unwrap()
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_only_to_loopback() {
        let resolver = GuardedResolver::new(TargetPolicy {
            allow_private: false,
        });
        let Err(err) = resolver.resolve(name("localhost")).await else {
            panic!("localhost must not resolve under the default policy");
        };
        let message = err.to_string();
        assert!(
            message.contains("host `localhost` resolves only to"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn the_resolver_passes_loopback_through_when_private_targets_are_allowed() {
        let resolver = GuardedResolver::new(TargetPolicy {
            allow_private: true,
        });
        let Ok(addrs) = resolver.resolve(name("localhost")).await else {
            panic!("localhost must resolve when private targets are allowed");
        };
        let addrs: Vec<SocketAddr> = addrs.collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs.iter().all(|addr| addr.ip().is_loopback()),
            "{addrs:?}"
        );
    }
}
