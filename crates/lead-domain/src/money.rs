//! Money as exact integer cents, parsed from the decimal text of a JSON number.

use std::fmt;

/// Why a JSON number is not an acceptable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a JSON number at all.
    #[error("not a number")]
    NotANumber,
    /// The amount is below zero.
    #[error("the amount is negative")]
    Negative,
    /// The value has a non-zero digit after the second decimal place.
    #[error("the amount has more than two decimals")]
    TooManyDecimals,
    /// The amount is above 99 999 999.99.
    #[error("the amount is above 99 999 999.99")]
    TooLarge,
}

/// A gross amount in euro, held as exact integer cents (never a binary float).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(u64);

impl Money {
    /// The largest accepted amount: 99 999 999.99 € in cents.
    pub const MAX_CENTS: u64 = 9_999_999_999;

    /// Zero euro.
    pub const ZERO: Money = Money(0);

    /// An amount from cents; `None` above [`Money::MAX_CENTS`].
    pub fn from_cents(cents: u64) -> Option<Money> {
        (cents <= Self::MAX_CENTS).then_some(Money(cents))
    }

    /// The amount in cents.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// Parses the literal text of a JSON number (`19.99`, `1e2`, `1.230`) into exact cents.
    ///
    /// The value counts, not its spelling: `1.230` and `1.5e1` are fine, `1.234` is not.
    /// `-0` is zero. Work is done on the decimal digits, so no rounding can ever happen.
    pub fn from_json_number(text: &str) -> Result<Money, MoneyError> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], parse_exponent(&unsigned[at + 1..])?),
            None => (unsigned, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
            || (mantissa.contains('.') && frac_part.is_empty())
        {
            return Err(MoneyError::NotANumber);
        }

        // value = digits × 10^scale, with the digits stripped of leading and trailing zeros.
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let significant = digits.trim_end_matches('0');
        if significant.is_empty() {
            return Ok(Money::ZERO); // 0, -0, 0.00, 0e99999 …
        }
        if negative {
            return Err(MoneyError::Negative);
        }
        let trailing_zeros = (digits.len() - significant.len()) as i64;
        // Exponents are clamped to ±10^15 when parsed, so this cannot overflow.
        let cent_scale = exponent - frac_part.len() as i64 + trailing_zeros + 2;
        if cent_scale < 0 {
            return Err(MoneyError::TooManyDecimals);
        }
        // MAX_CENTS has 10 digits: anything with more cannot fit.
        if significant.len() as i64 + cent_scale > 10 {
            return Err(MoneyError::TooLarge);
        }
        let cents = significant
            .parse::<u64>()
            .ok()
            .and_then(|d| d.checked_mul(10u64.pow(cent_scale as u32)))
            .ok_or(MoneyError::TooLarge)?;
        Money::from_cents(cents).ok_or(MoneyError::TooLarge)
    }

    /// The amount as a plain decimal with two places, `1234.50`: the text of a JSON number
    /// that [`Money::from_json_number`] reads back exactly.
    pub fn to_decimal(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// The amount in German notation: `1.234,50 €` (thousands `.`, decimal `,`, `€` after a space).
    pub fn to_german(self) -> String {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, digit) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        format!("{grouped},{:02} €", self.0 % 100)
    }
}

impl fmt::Display for Money {
    /// German notation, as in the notification texts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_german())
    }
}

/// Parses an exponent's digits, clamping absurd values (`1e99999999999999999999`) instead of
/// overflowing: anything that large is out of range either way.
fn parse_exponent(text: &str) -> Result<i64, MoneyError> {
    const CLAMP: i64 = 1_000_000_000_000_000;
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::NotANumber);
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        value = (value * 10 + i64::from(b - b'0')).min(CLAMP);
    }
    Ok(sign * value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Result<u64, MoneyError> {
        Money::from_json_number(text).map(Money::cents)
    }

    #[test]
    fn decimals_become_exact_cents() {
        assert_eq!(cents("19.99"), Ok(1999));
        assert_eq!(cents("0.1"), Ok(10));
        assert_eq!(cents("0.29"), Ok(29)); // 0.29 * 100 is 28.999… as an f64
        assert_eq!(cents("1.15"), Ok(115));
        assert_eq!(cents("49.90"), Ok(4990));
        assert_eq!(cents("1234.5"), Ok(123_450));
        assert_eq!(cents("0.00"), Ok(0));
        assert_eq!(cents("0"), Ok(0));
        assert_eq!(cents("7"), Ok(700));
    }

    #[test]
    fn exponents_count_by_value() {
        assert_eq!(cents("1e2"), Ok(10_000));
        assert_eq!(cents("1E2"), Ok(10_000));
        assert_eq!(cents("1.5e1"), Ok(1500));
        assert_eq!(cents("1e+2"), Ok(10_000));
        assert_eq!(cents("1e-2"), Ok(1));
        assert_eq!(cents("12345e-4"), Err(MoneyError::TooManyDecimals));
        assert_eq!(cents("1230e-3"), Ok(123));
        assert_eq!(cents("0e400"), Ok(0));
    }

    #[test]
    fn trailing_zeros_after_two_decimals_are_fine() {
        assert_eq!(cents("1.230"), Ok(123));
        assert_eq!(cents("1.2300000000000000000000"), Ok(123));
    }

    #[test]
    fn three_decimals_are_rejected() {
        assert_eq!(cents("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(cents("0.001"), Err(MoneyError::TooManyDecimals));
        assert_eq!(cents("1e-3"), Err(MoneyError::TooManyDecimals));
    }

    #[test]
    fn negatives_are_rejected_but_minus_zero_is_zero() {
        assert_eq!(cents("-1"), Err(MoneyError::Negative));
        assert_eq!(cents("-0.01"), Err(MoneyError::Negative));
        assert_eq!(cents("-0"), Ok(0));
        assert_eq!(cents("-0.0"), Ok(0));
    }

    #[test]
    fn the_upper_bound_is_inclusive() {
        assert_eq!(cents("99999999.99"), Ok(9_999_999_999));
        assert_eq!(cents("9999999999e-2"), Ok(9_999_999_999));
        assert_eq!(cents("100000000"), Err(MoneyError::TooLarge));
        assert_eq!(cents("99999999.991"), Err(MoneyError::TooManyDecimals));
        assert_eq!(cents("1e8"), Err(MoneyError::TooLarge));
        assert_eq!(cents("1e400"), Err(MoneyError::TooLarge));
        assert_eq!(cents("1e99999999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(cents("123456789012345678901234567890"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn tiny_exponents_do_not_overflow() {
        assert_eq!(cents("1e-99999999999999999999999"), Err(MoneyError::TooManyDecimals));
        assert_eq!(cents("0.5e-99999999999999999999"), Err(MoneyError::TooManyDecimals));
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in ["", "-", "abc", "1.", ".5", "1e", "1e+", "1,5", "0x10", "NaN", "1.2.3"] {
            assert_eq!(cents(text), Err(MoneyError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn german_notation() {
        let de = |c| Money::from_cents(c).unwrap().to_german();
        assert_eq!(de(123_450), "1.234,50 €");
        assert_eq!(de(0), "0,00 €");
        assert_eq!(de(5), "0,05 €");
        assert_eq!(de(4990), "49,90 €");
        assert_eq!(de(99_999), "999,99 €");
        assert_eq!(de(100_000), "1.000,00 €");
        assert_eq!(de(9_999_999_999), "99.999.999,99 €");
        assert_eq!(Money::from_cents(123_450).unwrap().to_string(), "1.234,50 €");
    }

    #[test]
    fn from_cents_respects_the_maximum() {
        assert!(Money::from_cents(Money::MAX_CENTS).is_some());
        assert!(Money::from_cents(Money::MAX_CENTS + 1).is_none());
    }
}
