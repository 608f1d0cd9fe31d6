//! When a delivery is tried: the retry schedule.

use std::time::Duration;

/// The delays before each attempt: the first is 0 (at once, in the transaction that owed
/// it), then one per retry. When the last attempt fails, the delivery has failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(Vec<Duration>);

/// A schedule that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// No attempt at all.
    #[error("the retry schedule needs at least one attempt")]
    Empty,
    /// The first attempt is not immediate.
    #[error("the retry schedule starts with 0: the first attempt is made at once")]
    FirstNotImmediate,
    /// Not a list of whole seconds.
    #[error("the retry schedule is comma-separated whole seconds (like 0,5,300), not {0:?}")]
    NotSeconds(String),
}

impl Default for Schedule {
    /// At once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: eight attempts over
    /// about 28 hours.
    fn default() -> Schedule {
        Schedule::from_secs(&[0, 5, 300, 1800, 7200, 18000, 36000, 36000]).expect("eight attempts")
    }
}

impl Schedule {
    /// A schedule of these delays in seconds.
    pub fn from_secs(secs: &[u64]) -> Result<Schedule, ScheduleError> {
        match secs.first() {
            None => return Err(ScheduleError::Empty),
            Some(&first) if first != 0 => return Err(ScheduleError::FirstNotImmediate),
            Some(_) => {}
        }
        Ok(Schedule(secs.iter().map(|&s| Duration::from_secs(s)).collect()))
    }

    /// A schedule written as comma-separated seconds (`LEAD_OUTBOX_RETRY_SCHEDULE`).
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let secs = text
            .split(',')
            .map(|part| part.trim().parse::<u64>())
            .collect::<Result<Vec<u64>, _>>()
            .map_err(|_| ScheduleError::NotSeconds(text.to_owned()))?;
        Schedule::from_secs(&secs)
    }

    /// How many attempts a delivery gets.
    pub fn attempts(&self) -> usize {
        self.0.len()
    }

    /// After attempt number `made` (1 for the first) failed: how long until the next one, or
    /// `None` when it was the last. A `Retry-After` from the target replaces the schedule's
    /// delay (at most a day), but never adds attempts.
    pub fn next_delay(&self, made: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let scheduled = *self.0.get(usize::try_from(made).ok()?)?;
        Some(retry_after.map_or(scheduled, |asked| asked.min(MAX_RETRY_AFTER)))
    }
}

/// The longest a `Retry-After` may put a delivery off.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tries_eight_times_over_about_a_day() {
        let schedule = Schedule::default();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.next_delay(1, None), Some(Duration::from_secs(5)));
        assert_eq!(schedule.next_delay(2, None), Some(Duration::from_secs(300)));
        assert_eq!(schedule.next_delay(7, None), Some(Duration::from_secs(36000)));
        assert_eq!(schedule.next_delay(8, None), None, "the eighth failure is final");
        let total: u64 = schedule.0.iter().map(Duration::as_secs).sum();
        assert_eq!(total, 5 + 300 + 1800 + 7200 + 18000 + 36000 + 36000);
    }

    #[test]
    fn retry_after_replaces_the_delay_but_adds_no_attempt() {
        let schedule = Schedule::parse("0, 60, 60").unwrap();
        assert_eq!(
            schedule.next_delay(1, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            schedule.next_delay(2, Some(Duration::from_secs(7 * 24 * 3600))),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(schedule.next_delay(3, Some(Duration::from_secs(1))), None);
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert_eq!(Schedule::parse(""), Err(ScheduleError::NotSeconds(String::new())));
        assert_eq!(Schedule::parse("0,5s"), Err(ScheduleError::NotSeconds("0,5s".into())));
        assert_eq!(Schedule::parse("0,-5"), Err(ScheduleError::NotSeconds("0,-5".into())));
        assert_eq!(Schedule::from_secs(&[]), Err(ScheduleError::Empty));
        assert_eq!(Schedule::parse("5,10"), Err(ScheduleError::FirstNotImmediate));
    }
}
