//! `/v1/metrics/*` and `/v1/agents/{id}/metrics`.
