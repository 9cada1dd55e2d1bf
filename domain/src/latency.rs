//! A mergeable latency histogram with logarithmic buckets (the DDSketch scheme): every
//! percentile it reports is within 2 % of a latency that was really reported. Hourly rollups
//! keep one per agent and per tenant, and any range is answered by merging them, so metrics
//! never scan raw messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bucket `i` (i ≥ 1) holds latencies in (γ^(i-2), γ^(i-1)] milliseconds; bucket 0 holds 0 ms.
const GAMMA: f64 = 1.04;

/// Sparse counts by bucket index, stored as a JSON object `{"<index>": count, …}`: adding a
/// few buckets to a stored sketch then touches those keys alone (the hourly rollups do so in
/// SQL, on every batch of replies), where an array of pairs had to be unpacked and grouped
/// whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LatencySketch {
    counts: BTreeMap<u16, u64>,
}

impl From<Vec<(u16, u64)>> for LatencySketch {
    fn from(pairs: Vec<(u16, u64)>) -> Self {
        let mut sketch = Self::default();
        for (index, count) in pairs {
            let slot = sketch.counts.entry(index).or_default();
            *slot = slot.saturating_add(count);
        }
        sketch
    }
}

fn index_of(latency_ms: u64) -> u16 {
    if latency_ms == 0 {
        return 0;
    }
    let index = ((latency_ms as f64).ln() / GAMMA.ln()).ceil() as i64 + 1;
    index.clamp(1, i64::from(u16::MAX)) as u16
}

/// The value a bucket stands for: within 2 % of anything in it.
fn value_of(index: u16) -> u64 {
    if index == 0 {
        return 0;
    }
    let upper = GAMMA.powi(i32::from(index) - 1);
    (2.0 * upper / (1.0 + GAMMA)).round().max(1.0) as u64
}

impl LatencySketch {
    pub fn add(&mut self, latency_ms: u64) {
        let slot = self.counts.entry(index_of(latency_ms)).or_default();
        *slot = slot.saturating_add(1);
    }

    /// The buckets holding latencies, by index, with their counts.
    pub fn buckets(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.counts.iter().map(|(index, count)| (*index, *count))
    }

    pub fn merge(&mut self, other: &LatencySketch) {
        for (index, count) in &other.counts {
            let slot = self.counts.entry(*index).or_default();
            *slot = slot.saturating_add(*count);
        }
    }

    /// How many latencies it holds (counts saturate rather than wrap).
    pub fn count(&self) -> u64 {
        self.counts
            .values()
            .fold(0u64, |sum, count| sum.saturating_add(*count))
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The `q`-quantile (0 < q ≤ 1) by the nearest-rank rule; `None` without data.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, count) in &self.counts {
            seen = count.saturating_add(seen);
            if seen >= rank {
                return Some(value_of(*index));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    #[test]
    fn quantiles_are_within_two_percent_of_the_exact_ones() {
        let mut values: Vec<u64> = (0..5_000u64).map(|i| (i * 7919) % 30_000 + 1).collect();
        values.extend([1, 2, 3, 250, 250, 250, 600_000]);
        let mut sketch = LatencySketch::default();
        for value in &values {
            sketch.add(*value);
        }
        values.sort_unstable();
        for q in [0.01, 0.5, 0.9, 0.95, 0.99, 1.0] {
            let (want, got) = (exact(&values, q) as f64, sketch.quantile(q).unwrap() as f64);
            assert!(
                (got - want).abs() <= (want * 0.02).max(1.0),
                "q={q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn merging_equals_adding_everything_to_one_sketch() {
        let (mut a, mut b, mut all) = Default::default();
        for value in 0..1_000u64 {
            let target: &mut LatencySketch = if value % 3 == 0 { &mut a } else { &mut b };
            target.add(value * 13);
            LatencySketch::add(&mut all, value * 13);
        }
        a.merge(&b);
        assert_eq!(a, all);
        let stored = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<LatencySketch>(&stored).unwrap(), all);
        assert_eq!(LatencySketch::default().quantile(0.5), None);
    }

    #[test]
    fn a_sketch_is_stored_as_an_object_of_counts_by_bucket() {
        let sketch = LatencySketch::from(vec![(160, 3), (7, 1), (160, 2)]);
        let stored = serde_json::to_value(&sketch).unwrap();
        assert_eq!(stored, serde_json::json!({"7": 1, "160": 5}));
        assert_eq!(
            serde_json::from_value::<LatencySketch>(stored).unwrap(),
            sketch
        );
        assert_eq!(sketch.buckets().collect::<Vec<_>>(), [(7, 1), (160, 5)]);
        assert_eq!(
            serde_json::to_value(LatencySketch::default()).unwrap(),
            serde_json::json!({})
        );
        for invalid in [
            r#"[[160, 3]]"#,
            r#"{"a": 1}"#,
            r#"{"70000": 1}"#,
            r#"{"1": -1}"#,
        ] {
            assert!(
                serde_json::from_str::<LatencySketch>(invalid).is_err(),
                "{invalid}"
            );
        }
    }

    #[test]
    fn extreme_latencies_and_counts_stay_in_range() {
        let mut sketch = LatencySketch::from(vec![(3, u64::MAX), (3, 5), (9, u64::MAX)]);
        sketch.add(crate::validate::MAX_DURATION_MS);
        sketch.add(u64::MAX);
        assert_eq!(sketch.count(), u64::MAX);
        assert!(index_of(crate::validate::MAX_DURATION_MS) < 500);
        let day = sketch.quantile(1.0).unwrap();
        assert!(day > 0, "{day}");
        sketch.merge(&sketch.clone());
        assert_eq!(sketch.count(), u64::MAX);
    }
}
