//! Metrics: summary, per agent, and an agent's series.
