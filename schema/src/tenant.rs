//! Tenants, plans and API-key scopes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Plan {
    #[serde(rename = "foundation")]
    Foundation,
    #[serde(rename = "operational")]
    Operational,
    #[serde(rename = "enterprise")]
    Enterprise,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Foundation => "foundation",
            Self::Operational => "operational",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "foundation" => Some(Self::Foundation),
            "operational" => Some(Self::Operational),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }

    /// Requests per (minute, hour) of the contract's table.
    pub fn limits(self) -> (u32, u32) {
        match self {
            Self::Foundation => (30, 500),
            Self::Operational => (120, 5_000),
            Self::Enterprise => (600, 50_000),
        }
    }
}

/// A tenant's own request limits, each overriding its plan's when set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitOverrides {
    pub per_minute: Option<u32>,
    pub per_hour: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Scope {
    /// GET and HEAD only.
    #[serde(rename = "read")]
    Read,
    /// Everything.
    #[serde(rename = "read-write")]
    ReadWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadWrite => "read-write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "read-write" => Some(Self::ReadWrite),
            _ => None,
        }
    }
}
