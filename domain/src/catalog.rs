//! The model catalog: which model ids exist and what they cost. Data, not code: the built-in
//! table of the contract can be replaced by a JSON file (`AGENFLEET_MODEL_CATALOG`).

use serde::{Deserialize, Serialize};

use crate::usage::COUNTER_MAX;

/// One model and its price in micro-dollars per million tokens (integers, so cost arithmetic
/// is exact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub provider: String,
    pub input_micro_usd_per_mtok: u64,
    pub output_micro_usd_per_mtok: u64,
}

impl Model {
    /// The cost of a reply in micro-dollars: tokens / 1e6 × price, computed exactly in integers
    /// and rounded half up to the micro-dollar once per message. At most `i64::MAX` (what a
    /// `bigint` holds), whatever the operator's prices: the API's token ranges keep the built-in
    /// catalog's dearest reply near 9·10¹⁰, and every sum of costs saturates too.
    pub fn cost_micro_usd(&self, input_tokens: u64, output_tokens: u64) -> u64 {
        let pico = (u128::from(input_tokens) * u128::from(self.input_micro_usd_per_mtok))
            .saturating_add(u128::from(output_tokens) * u128::from(self.output_micro_usd_per_mtok));
        let micro = pico.saturating_add(500_000) / 1_000_000;
        u64::try_from(micro).map_or(COUNTER_MAX, |micro| micro.min(COUNTER_MAX))
    }

    /// A runtime's report with its price attached, as it enters the log.
    pub fn price(&self, report: &schema::session::UsageReport) -> schema::session::Usage {
        schema::session::Usage {
            model: self.id.clone(),
            provider: self.provider.clone(),
            input_tokens: report.input_tokens,
            output_tokens: report.output_tokens,
            latency_ms: report.latency_ms,
            cost_micro_usd: self.cost_micro_usd(report.input_tokens, report.output_tokens),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    models: Vec<Model>,
}

const BUILT_IN: &[(&str, &str, u64, u64)] = &[
    ("anthropic", "claude-haiku-3.5", 800_000, 4_000_000),
    (
        "anthropic",
        "claude-sonnet-4-20250514",
        3_000_000,
        15_000_000,
    ),
    (
        "anthropic",
        "claude-opus-4-20250514",
        15_000_000,
        75_000_000,
    ),
    ("openai", "gpt-4o", 2_500_000, 10_000_000),
    ("openai", "gpt-4o-mini", 150_000, 600_000),
    ("openai", "o1", 15_000_000, 60_000_000),
    ("openai", "o3-mini", 1_100_000, 4_400_000),
    ("google", "gemini-2.0-flash", 100_000, 400_000),
    ("google", "gemini-2.0-pro", 1_250_000, 10_000_000),
    ("mistral", "mistral-large-latest", 2_000_000, 6_000_000),
    ("mistral", "codestral-latest", 300_000, 900_000),
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("model catalog is not a JSON list of models: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("model catalog is empty")]
    Empty,
}

impl Catalog {
    /// The contract's table.
    pub fn built_in() -> Self {
        let models = BUILT_IN
            .iter()
            .map(|&(provider, id, input, output)| Model {
                id: id.to_owned(),
                provider: provider.to_owned(),
                input_micro_usd_per_mtok: input,
                output_micro_usd_per_mtok: output,
            })
            .collect();
        Self { models }
    }

    /// A catalog from a JSON list of [`Model`]s.
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        let models: Vec<Model> = serde_json::from_str(text)?;
        if models.is_empty() {
            return Err(CatalogError::Empty);
        }
        Ok(Self { models })
    }

    pub fn get(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|model| model.id == id)
    }

    pub fn models(&self) -> &[Model] {
        &self.models
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::built_in()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_exact_micro_dollars() {
        let catalog = Catalog::built_in();
        let sonnet = catalog.get("claude-sonnet-4-20250514").unwrap();
        assert_eq!(sonnet.cost_micro_usd(123_456, 7_890), 488_718);
        let haiku = catalog.get("claude-haiku-3.5").unwrap();
        // 1 input token costs 0.8 micro-dollars: rounded half up to 1; 0.4 rounds to 0.
        assert_eq!(haiku.cost_micro_usd(1, 0), 1);
        let flash = catalog.get("gemini-2.0-flash").unwrap();
        assert_eq!(flash.cost_micro_usd(4, 0), 0);
        assert_eq!(flash.cost_micro_usd(5, 0), 1);
        assert_eq!(haiku.cost_micro_usd(u64::MAX, u64::MAX), COUNTER_MAX);
    }

    #[test]
    fn the_largest_reply_costs_what_a_bigint_holds_at_most() {
        use crate::validate::MAX_TOKENS_PER_MESSAGE as MAX;
        let opus = Catalog::built_in();
        let opus = opus.get("claude-opus-4-20250514").unwrap();
        assert_eq!(opus.cost_micro_usd(MAX, MAX), 90_000_000_000);
        let absurd = Model {
            id: "absurd".into(),
            provider: "x".into(),
            input_micro_usd_per_mtok: u64::MAX,
            output_micro_usd_per_mtok: u64::MAX,
        };
        assert_eq!(absurd.cost_micro_usd(MAX, MAX), COUNTER_MAX);
        assert_eq!(absurd.cost_micro_usd(u64::MAX, u64::MAX), COUNTER_MAX);
    }
}
