//! Prefixed ULID identifiers: `agent_01jq8…`, lowercase, sortable by creation time.
//!
//! Each resource has its own newtype so that an `AgentId` can never be passed where a
//! `SessionId` is expected. Parsing checks the prefix and the ULID shape; the API turns a
//! failed parse into a 404 of that resource, as the contract asks.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// Why a string is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {prefix}_ id")]
pub struct InvalidId {
    pub prefix: &'static str,
    pub value: String,
}

/// What every prefixed id type can do; lets code make ids of any kind.
pub trait PrefixedId: Sized {
    fn from_ulid(ulid: Ulid) -> Self;
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id whose time part is now.
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            pub fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }

            pub fn ulid(&self) -> Ulid {
                self.0
            }

            /// The moment encoded in the id.
            pub fn created_at(&self) -> DateTime<Utc> {
                DateTime::<Utc>::from(self.0.datetime())
            }
        }

        impl PrefixedId for $name {
            fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, self.0.to_string().to_ascii_lowercase())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_prefixed(s, $prefix).map(Self).ok_or_else(|| InvalidId {
                    prefix: $prefix,
                    value: s.to_owned(),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Parses `prefix_<26 lowercase Crockford base32 chars>`.
fn parse_prefixed(s: &str, prefix: &str) -> Option<Ulid> {
    let rest = s.strip_prefix(prefix)?.strip_prefix('_')?;
    let lowercase = rest
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if rest.len() != 26 || !lowercase {
        return None;
    }
    Ulid::from_string(&rest.to_ascii_uppercase()).ok()
}

prefixed_id!(/// A customer organisation; the partition key of the event log.
    TenantId, "ten");
prefixed_id!(/// An API key of a tenant.
    ApiKeyId, "key");
prefixed_id!(/// A persistent AI agent.
    AgentId, "agent");
prefixed_id!(/// A conversation with an agent.
    SessionId, "sess");
prefixed_id!(/// A message in a session.
    MessageId, "msg");
prefixed_id!(/// A scheduled job of an agent.
    CronJobId, "cron");
prefixed_id!(/// One run of a cron job.
    CronRunId, "run");
prefixed_id!(/// A webhook endpoint.
    WebhookId, "wh");
prefixed_id!(/// A webhook delivery.
    DeliveryId, "dlv");
prefixed_id!(/// A domain event and its activity-log entry.
    EventId, "evt");
prefixed_id!(/// A command record in the event log.
    CommandId, "cmd");
prefixed_id!(/// An API request, echoed in `X-Request-Id` and error bodies.
    RequestId, "req");

impl EventId {
    /// The id of the `index`-th event a command produced. Derived from the command id, not
    /// drawn at random, so that replaying the log reproduces the same ids.
    pub fn derived(command: CommandId, index: u32) -> Self {
        let ulid = command.ulid();
        let random = ulid.random()
            ^ u128::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
        Self(Ulid::from_parts(ulid.timestamp_ms(), random))
    }
}

/// An id a decision creates (a run, its session, its first message): derived from the command
/// id and a salt distinct per kind of id, never drawn at random, so a replay makes the same.
pub fn derived<T: PrefixedId>(command: CommandId, salt: u32) -> T {
    let ulid = command.ulid();
    let random = ulid.random()
        ^ u128::from(salt.wrapping_add(0x5bd1_e995))
            .wrapping_mul(0xff51_afd7_ed55_8ccd_c4ce_b9fe_1a85_ec53);
    T::from_ulid(Ulid::from_parts(ulid.timestamp_ms(), random))
}

impl DeliveryId {
    /// The id of the `index`-th delivery of an event the projector fans out. Derived, like
    /// event ids, so a projection never draws randomness.
    pub fn for_event(event: EventId, index: u32) -> Self {
        let ulid = event.ulid();
        let random = ulid.random()
            ^ u128::from(index + 1).wrapping_mul(0x2545_f491_4f6c_dd1d_9e37_79b9_7f4a_7c15);
        Self(Ulid::from_parts(ulid.timestamp_ms(), random))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_lowercase_with_their_prefix_and_parse_back() {
        let id = AgentId::new();
        let text = id.to_string();
        assert!(text.starts_with("agent_"));
        assert_eq!(text.len(), "agent_".len() + 26);
        assert_eq!(text, text.to_ascii_lowercase());
        assert_eq!(text.parse::<AgentId>().unwrap(), id);
    }

    #[test]
    fn ids_with_the_wrong_prefix_or_shape_are_refused() {
        let id = AgentId::new().to_string();
        assert!(id.replace("agent_", "sess_").parse::<AgentId>().is_err());
        assert!(id.to_ascii_uppercase().parse::<AgentId>().is_err());
        assert!("agent_123".parse::<AgentId>().is_err());
        assert!("agent_01jq8abc".parse::<AgentId>().is_err());
        assert!(format!("{id}x").parse::<AgentId>().is_err());
    }

    #[test]
    fn derived_event_ids_are_stable_and_distinct() {
        let cmd = CommandId::new();
        assert_eq!(EventId::derived(cmd, 0), EventId::derived(cmd, 0));
        assert_ne!(EventId::derived(cmd, 0), EventId::derived(cmd, 1));
        assert_eq!(EventId::derived(cmd, 3).created_at(), cmd.created_at());
    }
}
