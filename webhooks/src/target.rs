//! The SSRF guard for webhook targets: a tenant-supplied URL must be http(s) and must not reach
//! loopback, private, link-local or cloud-metadata addresses unless the operator allows private
//! targets.
//!
//! The guard runs twice. The API calls [`check_url`] when a webhook is created or changed, so a
//! bad URL is refused with a message the user can act on. The dispatcher sends through
//! [`http_client`], whose [`GuardedResolver`] re-checks every address at connect time (a host
//! may be re-pointed at 127.0.0.1 after it was accepted: DNS rebinding), and calls
//! [`check_literal`] for IP-literal hosts, which never reach a resolver.

mod address;
mod client;

use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

pub use address::is_forbidden;
pub use client::{http_client, GuardedResolver, CONNECT_TIMEOUT, USER_AGENT};

/// The operator setting that lets webhooks target private addresses (tests, on-prem).
pub const ALLOW_PRIVATE_ENV: &str = "AGENFLEET_WEBHOOK_ALLOW_PRIVATE_TARGETS";

/// The longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// How long [`check_url`] waits for DNS before giving up.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether webhooks may target non-public addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    pub allow_private: bool,
}

/// Why a webhook URL is refused; the messages tell the user what to change.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("url is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("url is not valid: {reason}")]
    Invalid { reason: String },
    #[error("url must start with http:// or https://")]
    Scheme,
    #[error("url must name a host")]
    MissingHost,
    #[error("url must not carry a username or password")]
    Userinfo,
    #[error("host `{host}` does not resolve")]
    Unresolvable { host: String },
    #[error("host `{host}` did not resolve within {} s; check the name and try again", RESOLVE_TIMEOUT.as_secs())]
    ResolveTimeout { host: String },
    #[error(
        "host `{host}` resolves to {addr}, a loopback/private/link-local address; webhooks must target public addresses (operators may allow private targets with {ALLOW_PRIVATE_ENV}=true)"
    )]
    ForbiddenHost { host: String, addr: IpAddr },
    #[error(
        "address {addr} is a loopback/private/link-local address; webhooks must target public addresses (operators may allow private targets with {ALLOW_PRIVATE_ENV}=true)"
    )]
    ForbiddenAddress { addr: IpAddr },
    #[error(
        "host `{host}` resolves only to loopback/private/link-local addresses; webhooks must target public addresses (operators may allow private targets with {ALLOW_PRIVATE_ENV}=true)"
    )]
    OnlyForbidden { host: String },
}

/// Syntax checks only: http(s), a host, no userinfo, at most [`MAX_URL_LEN`] characters.
pub fn parse_url(text: &str) -> Result<Url, TargetError> {
    if text.len() > MAX_URL_LEN {
        return Err(TargetError::TooLong);
    }
    let url = Url::parse(text).map_err(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => TargetError::Scheme,
        url::ParseError::EmptyHost => TargetError::MissingHost,
        other => TargetError::Invalid {
            reason: other.to_string(),
        },
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if url.host().is_none() {
        return Err(TargetError::MissingHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Userinfo);
    }
    Ok(url)
}

/// [`parse_url`], then (unless private targets are allowed) refuses the URL if its host is, or
/// resolves to, any forbidden address.
pub async fn check_url(text: &str, policy: TargetPolicy) -> Result<Url, TargetError> {
    let url = parse_url(text)?;
    if policy.allow_private {
        return Ok(url);
    }
    let domain = match url.host() {
        Some(Host::Domain(domain)) => domain.to_owned(),
        Some(_) => {
            check_literal(&url, policy)?;
            return Ok(url);
        }
        None => return Err(TargetError::MissingHost),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let lookup = async {
        let addrs = tokio::net::lookup_host((domain.as_str(), port)).await?;
        Ok::<Vec<IpAddr>, std::io::Error>(addrs.map(|addr| addr.ip()).collect())
    };
    let addrs = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Err(_elapsed) => return Err(TargetError::ResolveTimeout { host: domain }),
        Ok(Err(_io)) => return Err(TargetError::Unresolvable { host: domain }),
        Ok(Ok(addrs)) => addrs,
    };
    if addrs.is_empty() {
        return Err(TargetError::Unresolvable { host: domain });
    }
    // Any forbidden address refuses the URL: the client might pick any of them.
    if let Some(&addr) = addrs.iter().find(|&&addr| is_forbidden(addr)) {
        return Err(TargetError::ForbiddenHost { host: domain, addr });
    }
    Ok(url)
}

/// The send-time check for IP-literal hosts, which the HTTP client connects to without calling
/// [`GuardedResolver`]. Domain hosts pass here; the resolver guards them.
pub fn check_literal(url: &Url, policy: TargetPolicy) -> Result<(), TargetError> {
    let addr = match url.host() {
        None => return Err(TargetError::MissingHost),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        // The url crate normalises every IPv4 spelling of http(s) hosts (`2130706433`,
        // `0x7f.1`) to `Host::Ipv4`; parsing again costs nothing and does not trust that.
        Some(Host::Domain(domain)) => match domain.parse::<IpAddr>() {
            Ok(addr) => addr,
            Err(_) => return Ok(()),
        },
    };
    if !policy.allow_private && is_forbidden(addr) {
        return Err(TargetError::ForbiddenAddress { addr });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: TargetPolicy = TargetPolicy {
        allow_private: false,
    };
    const ALLOW: TargetPolicy = TargetPolicy {
        allow_private: true,
    };

    #[test]
    fn malformed_urls_are_refused_with_a_message_saying_what_to_fix() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        let cases = [
            (
                "example.com/hook",
                "url must start with http:// or https://",
            ),
            (
                "ftp://example.com/hook",
                "url must start with http:// or https://",
            ),
            (
                "javascript:alert(1)",
                "url must start with http:// or https://",
            ),
            ("http://", "url must name a host"),
            (
                "https://user:pw@example.com/",
                "url must not carry a username or password",
            ),
            (
                "https://user@example.com/",
                "url must not carry a username or password",
            ),
            ("http://exa mple.com/", "url is not valid"),
            ("http://example.com:99999/", "url is not valid"),
            (long.as_str(), "longer than 2048"),
        ];
        for (text, expected) in cases {
            let message = parse_url(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn well_formed_urls_parse() {
        for text in [
            "https://example.com/hook?x=1",
            "http://example.com:8080/",
            "https://[2606:4700::1]/",
        ] {
            assert!(parse_url(text).is_ok(), "{text}");
        }
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_the_operator_allows_them() {
        for text in [
            "http://127.0.0.1:8080/x",
            "http://localhost/",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00:ec2::254]/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let err = check_url(text, DENY).await.unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("webhooks must target public addresses"),
                "{text}: {message}"
            );
            assert!(message.contains(ALLOW_PRIVATE_ENV), "{text}: {message}");
            assert!(
                check_url(text, ALLOW).await.is_ok(),
                "{text} should be allowed"
            );
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_names_the_host_and_the_address() {
        let message = check_url("http://localhost:9000/", DENY)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("host `localhost` resolves to "),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_public_ip_literal_is_accepted_without_dns() {
        let url = check_url("https://93.184.216.34/hook", DENY).await.unwrap();
        assert_eq!(url.as_str(), "https://93.184.216.34/hook");
    }

    #[test]
    fn send_time_literal_check_refuses_forbidden_literals_only() {
        let check = |text: &str, policy| check_literal(&Url::parse(text).unwrap(), policy);
        assert!(matches!(
            check("http://169.254.169.254/", DENY),
            Err(TargetError::ForbiddenAddress { .. })
        ));
        assert!(check("http://[::1]:8080/", DENY).is_err());
        assert!(check("http://169.254.169.254/", ALLOW).is_ok());
        assert!(check("https://93.184.216.34/", DENY).is_ok());
        // Names are left to the resolver, which runs on every connection.
        assert!(check("http://localhost/", DENY).is_ok());
    }
}
