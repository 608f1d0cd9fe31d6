//! What becomes of a lead once recorded: the statuses of orders and tickets, and timestamps.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An IANA time zone (`Europe/Berlin`) with its rules for summer time.
pub use jiff::tz::TimeZone;

crate::words! {
    /// Where a web order stands in the inbox.
    OrderStatus("status") {
        /// Just arrived, awaiting review.
        New = "new",
        /// Reviewed and taken.
        Accepted = "accepted",
        /// Reviewed and turned down.
        Rejected = "rejected",
    }
}

crate::words! {
    /// Where a ticket stands.
    TicketStatus("status") {
        /// Awaiting an answer.
        Open = "open",
        /// Answered: waiting for the customer (a reply of the team sets it; the customer's
        /// answer opens the ticket again).
        Pending = "pending",
        /// Dealt with.
        Closed = "closed",
    }
}

/// A point in time as Unix milliseconds (UTC), the form every record stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Timestamp {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    /// A timestamp from Unix milliseconds.
    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl From<i64> for Timestamp {
    /// A timestamp from Unix milliseconds.
    fn from(millis: i64) -> Timestamp {
        Timestamp(millis)
    }
}

impl Timestamp {
    /// German notation in the time zone `zone` (with its summer time), to the minute:
    /// `28.11.2026, 18:41` in Europe/Berlin.
    pub fn to_german_in(self, zone: &TimeZone) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(at) => zone.to_datetime(at).strftime("%d.%m.%Y, %H:%M").to_string(),
            // Beyond the years jiff knows (±9999): the UTC notation.
            Err(_) => self.to_german(),
        }
    }

    /// The first moment of the day `date` (`YYYY-MM-DD`) in `zone` — of the day after, with
    /// `following` — where days start at midnight, or when summer time skips it, at the first
    /// time the day has. `None` when `date` is not a date.
    pub fn day_starts(date: &str, zone: &TimeZone, following: bool) -> Option<Timestamp> {
        let mut day: jiff::civil::Date = date.trim().parse().ok()?;
        if following {
            day = day.tomorrow().ok()?;
        }
        let start = day.to_zoned_datetime(zone.clone()).ok()?.start_of_day().ok()?;
        Some(Timestamp(start.timestamp().as_millisecond()))
    }

    /// German notation in UTC, to the minute: `28.11.2026, 17:41 UTC`.
    pub fn to_german(self) -> String {
        let (days, ms_of_day) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (year, month, day) = civil_from_days(days);
        let minutes = ms_of_day / 60_000;
        format!(
            "{day:02}.{month:02}.{year:04}, {:02}:{:02} UTC",
            minutes / 60,
            minutes % 60
        )
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with milliseconds: `2026-11-28T17:41:55.123Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, ms_of_day) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ms_of_day % 1000
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in [OrderStatus::New, OrderStatus::Accepted, OrderStatus::Rejected] {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        for status in [TicketStatus::Open, TicketStatus::Pending, TicketStatus::Closed] {
            assert_eq!(status.as_str().parse::<TicketStatus>(), Ok(status));
        }
        assert!("open".parse::<OrderStatus>().is_err());
        assert!("New".parse::<OrderStatus>().is_err());
    }

    #[test]
    fn timestamps_format_in_german_too() {
        assert_eq!(
            Timestamp::from_millis(1_795_887_715_123).to_german(),
            "28.11.2026, 17:41 UTC"
        );
    }

    #[test]
    fn local_time_follows_the_zones_summer_time() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // Winter: UTC+1.
        assert_eq!(
            Timestamp::from_millis(1_795_887_715_123).to_german_in(&berlin),
            "28.11.2026, 18:41"
        );
        // 29 March 2026, the change to summer time at 01:00 UTC: 01:59 then 03:00.
        let change = 1_774_746_000_000; // 2026-03-29T01:00:00Z
        assert_eq!(
            Timestamp::from_millis(change - 60_000).to_german_in(&berlin),
            "29.03.2026, 01:59"
        );
        assert_eq!(
            Timestamp::from_millis(change).to_german_in(&berlin),
            "29.03.2026, 03:00"
        );
        // 25 October 2026, back to winter time at 01:00 UTC: 02:59 summer time, then 02:00 again.
        let back = 1_792_890_000_000; // 2026-10-25T01:00:00Z
        assert_eq!(
            Timestamp::from_millis(back - 60_000).to_german_in(&berlin),
            "25.10.2026, 02:59"
        );
        assert_eq!(Timestamp::from_millis(back).to_german_in(&berlin), "25.10.2026, 02:00");
        assert_eq!(
            Timestamp::from_millis(0).to_german_in(&TimeZone::UTC),
            "01.01.1970, 00:00"
        );
    }

    #[test]
    fn days_start_at_local_midnight() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // 1 December 2026 starts at 23:00 UTC the day before; it ends where 2 December starts.
        let start = Timestamp::day_starts("2026-12-01", &berlin, false).unwrap();
        assert_eq!(start.to_string(), "2026-11-30T23:00:00.000Z");
        let end = Timestamp::day_starts("2026-12-01", &berlin, true).unwrap();
        assert_eq!(end.to_string(), "2026-12-01T23:00:00.000Z");
        // The day of the change to summer time has 23 hours.
        let short = Timestamp::day_starts("2026-03-29", &berlin, true).unwrap().millis()
            - Timestamp::day_starts("2026-03-29", &berlin, false).unwrap().millis();
        assert_eq!(short, 23 * 3_600_000);
        let utc = Timestamp::day_starts("2026-12-01", &TimeZone::UTC, false).unwrap();
        assert_eq!(utc.to_string(), "2026-12-01T00:00:00.000Z");
        for bad in ["", "gestern", "2026-13-01", "01.12.2026"] {
            assert_eq!(Timestamp::day_starts(bad, &berlin, false), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(Timestamp::from_millis(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp::from_millis(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(1_795_887_715_123).to_string(),
            "2026-11-28T17:41:55.123Z"
        );
        assert_eq!(Timestamp::from_millis(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }
}
