//! When to try again: the retry schedule with ±20 % jitter, and `Retry-After` honoured up to
//! twice the scheduled delay. Pure, so it is tested without a clock.

use std::time::Duration;

/// The delay before the next attempt after `attempts` failed ones, or `None` when the schedule
/// is used up (the delivery has failed). `jitter` in [-1, 1] scales the ±20 %; `retry_after`
/// is the receiver's `Retry-After` on a 429 or 503: the delay is at least that, but at most
/// twice the scheduled one.
pub fn next_delay(
    schedule: &[Duration],
    attempts: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let scheduled = *schedule.get(attempts.checked_sub(1)? as usize)?;
    let jittered = scheduled.mul_f64(1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    Some(match retry_after {
        Some(asked) => jittered.max(asked.min(scheduled * 2)),
        None => jittered,
    })
}

/// A random factor for [`next_delay`].
pub fn jitter() -> f64 {
    rand::random_range(-1.0..=1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Vec<Duration> {
        ["5s", "5m", "30m"]
            .iter()
            .map(|text| ops::duration::parse_duration(text).unwrap())
            .collect()
    }

    #[test]
    fn follows_the_schedule_then_gives_up() {
        let s = schedule();
        assert_eq!(next_delay(&s, 1, 0.0, None), Some(Duration::from_secs(5)));
        assert_eq!(next_delay(&s, 2, 0.0, None), Some(Duration::from_secs(300)));
        assert_eq!(
            next_delay(&s, 3, 0.0, None),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(next_delay(&s, 4, 0.0, None), None);
        assert_eq!(next_delay(&s, 0, 0.0, None), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let s = schedule();
        assert_eq!(next_delay(&s, 1, 1.0, None), Some(Duration::from_secs(6)));
        assert_eq!(next_delay(&s, 1, -1.0, None), Some(Duration::from_secs(4)));
        assert_eq!(next_delay(&s, 1, 7.0, None), Some(Duration::from_secs(6)));
        for _ in 0..1000 {
            let delay = next_delay(&s, 2, jitter(), None).unwrap();
            assert!((240.0..=360.0).contains(&delay.as_secs_f64()), "{delay:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_twice_the_scheduled_delay() {
        let s = schedule();
        let at_least = next_delay(&s, 1, 0.0, Some(Duration::from_secs(8)));
        assert_eq!(at_least, Some(Duration::from_secs(8)));
        let capped = next_delay(&s, 1, 0.0, Some(Duration::from_secs(3600)));
        assert_eq!(capped, Some(Duration::from_secs(10)));
        let shorter = next_delay(&s, 1, 0.0, Some(Duration::from_secs(1)));
        assert_eq!(shorter, Some(Duration::from_secs(5)));
    }
}
