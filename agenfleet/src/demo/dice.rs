//! The demo's randomness: one seeded generator, so the same seed plans the same month.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::fleet::COMPANIES;

pub struct Dice(StdRng);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(StdRng::seed_from_u64(seed))
    }

    /// A whole number in `lo..=hi`.
    pub fn between(&mut self, (lo, hi): (u64, u64)) -> u64 {
        self.0.random_range(lo..=hi.max(lo))
    }

    /// A real number in `lo..hi`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return lo;
        }
        self.0.random_range(lo..hi)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// A Poisson count with mean `lambda` (Knuth's method; the means here are small).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda.max(0.0)).exp();
        let (mut count, mut product) = (0, self.0.random::<f64>());
        while product > limit && count < 1_000 {
            count += 1;
            product *= self.0.random::<f64>();
        }
        count
    }

    /// A log-normal value around `median` (response times, daily swings).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box–Muller: a standard normal from two uniforms.
        let u1 = self.0.random::<f64>().max(f64::MIN_POSITIVE);
        let u2 = self.0.random::<f64>();
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * normal).exp()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.random_range(0..items.len())]
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut point = self.uniform(0.0, total);
        for (index, weight) in weights.iter().enumerate() {
            if point < *weight {
                return index;
            }
            point -= weight;
        }
        weights.len() - 1
    }

    /// `template` with `{n}` replaced by a ticket-like number and `{co}` by a company.
    pub fn fill(&mut self, template: &str) -> String {
        let mut text = template.to_owned();
        if text.contains("{n}") {
            let number = self.between((1_200, 48_000)).to_string();
            text = text.replace("{n}", &number);
        }
        if text.contains("{co}") {
            let company = *self.pick(COMPANIES);
            text = text.replace("{co}", company);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let (mut a, mut b) = (Dice::new(7), Dice::new(7));
        for _ in 0..100 {
            assert_eq!(a.between((0, 1_000)), b.between((0, 1_000)));
        }
        assert_eq!(
            a.fill("Ticket #{n} from {co}"),
            b.fill("Ticket #{n} from {co}")
        );
    }

    #[test]
    fn poisson_counts_average_their_mean() {
        let mut dice = Dice::new(1);
        let total: u32 = (0..10_000).map(|_| dice.poisson(2.5)).sum();
        let mean = f64::from(total) / 10_000.0;
        assert!((2.35..2.65).contains(&mean), "{mean}");
    }
}
