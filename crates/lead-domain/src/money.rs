//! Money as exact integer cents, read from the decimal text of a JSON number or from an
//! amount as people write it (`"1.234,50 €"`), and rounded to whole cents on that text —
//! never through binary floating point.

use std::fmt;

/// Why a text is not an acceptable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is no amount: not a number, or not written by the rules for amounts.
    #[error("not an amount")]
    NotAnAmount,
    /// The amount is below zero (after rounding to cents: `-0.004` is zero).
    #[error("the amount is negative")]
    Negative,
    /// The amount is above 99 999 999.99 (after rounding to cents).
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

    /// Reads the literal text of a JSON number (`19.99`, `1e2`, `30.279999999999998`),
    /// rounded to whole cents half away from zero on its decimal digits: `1.005` is 1,01 €
    /// (as a binary float it would be 1,00 €), `0.30000000000000004` is 0,30 €. A value that
    /// rounds to zero is zero, whatever its sign.
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
        if int_part.is_empty() || (mantissa.contains('.') && frac_part.is_empty()) {
            return Err(MoneyError::NotAnAmount);
        }
        Decimal {
            negative,
            int_part,
            frac_part,
            exponent,
        }
        .to_money()
    }

    /// Reads an amount as people write it, in a form field or a JSON string: German or
    /// English notation, with an optional `€` or `EUR` before or after (with or without a
    /// space). Where both `.` and `,` appear, the last one is the decimal separator and the
    /// other groups thousands (`1.234,50 €`, `1,234.50`). Where only one kind appears, it
    /// groups thousands when it appears more than once (`1.234.567`), or once with one to
    /// three digits before it (not starting with `0`) and exactly three after (`1.234` is
    /// 1 234,00 €); otherwise it is the decimal separator (`49,90`, `49.9`, `0,005`).
    /// Thousands groups must be well formed; more than two decimals are rounded as in
    /// [`Money::from_json_number`]. Anything else (`ca. 50`, `1.23.4`, `12 Euro 50`, the
    /// empty text) is [`MoneyError::NotAnAmount`].
    pub fn from_text(text: &str) -> Result<Money, MoneyError> {
        let amount = strip_currency(text.trim());
        let (negative, amount) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount),
        };
        if !amount.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
            || !amount.bytes().any(|b| b.is_ascii_digit())
        {
            return Err(MoneyError::NotAnAmount);
        }
        let (int_part, frac_part) = split_amount(amount).ok_or(MoneyError::NotAnAmount)?;
        Decimal {
            negative,
            int_part: &int_part,
            frac_part,
            exponent: 0,
        }
        .to_money()
    }

    /// The amount as a plain decimal with two places, `1234.50`: the text of a JSON number
    /// that [`Money::from_json_number`] reads back exactly.
    pub fn to_decimal(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// The amount in German notation: `1.234,50 €` (thousands `.`, decimal `,`, `€` after a space).
    pub fn to_german(self) -> String {
        format!("{},{:02} €", group_thousands(self.0 / 100), self.0 % 100)
    }
}

impl fmt::Display for Money {
    /// German notation, as in the notification texts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_german())
    }
}

/// `1234567` → `1.234.567`: German thousands separators.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    grouped
}

/// The amount without one `€` or `EUR` (any case) before or after it, and the space between.
fn strip_currency(text: &str) -> &str {
    const SIGNS: [&str; 2] = ["€", "EUR"];
    for sign in SIGNS {
        if text.len() >= sign.len()
            && text.is_char_boundary(sign.len())
            && text[..sign.len()].eq_ignore_ascii_case(sign)
        {
            return text[sign.len()..].trim_start();
        }
        let cut = text.len().wrapping_sub(sign.len());
        if text.len() >= sign.len() && text.is_char_boundary(cut) && text[cut..].eq_ignore_ascii_case(sign) {
            return text[..cut].trim_end();
        }
    }
    text
}

/// Splits digits with `.` and `,` into the integer digits (thousands separators removed) and
/// the decimal digits, by the rules of [`Money::from_text`]; `None` when they are broken.
fn split_amount(amount: &str) -> Option<(String, &str)> {
    let dots = amount.bytes().filter(|&b| b == b'.').count();
    let commas = amount.bytes().filter(|&b| b == b',').count();
    match (dots, commas) {
        (0, 0) => Some((amount.to_owned(), "")),
        (_, 0) | (0, _) => {
            let separator = if dots > 0 { '.' } else { ',' };
            let (before, after) = amount.split_once(separator)?;
            let thousands =
                dots + commas > 1 || ((1..=3).contains(&before.len()) && !before.starts_with('0') && after.len() == 3);
            if thousands {
                Some((thousands_groups(amount, separator)?, ""))
            } else {
                Some((before.to_owned(), after))
            }
        }
        _ => {
            // Both kinds: the last one separates the decimals and appears once; the other
            // one only groups the integer digits in front of it.
            let last = amount.rfind(['.', ','])?;
            let decimal = char::from(amount.as_bytes()[last]);
            let grouping = if decimal == '.' { ',' } else { '.' };
            let (int_part, frac_part) = amount.split_at(last);
            let frac_part = &frac_part[1..];
            if int_part.contains(decimal) || int_part.is_empty() {
                return None;
            }
            Some((thousands_groups(int_part, grouping)?, frac_part))
        }
    }
}

/// Integer digits grouped by `separator`: the first group one to three digits, every later
/// one exactly three. The digits without separators, or `None` when a group is malformed.
fn thousands_groups(text: &str, separator: char) -> Option<String> {
    let mut digits = String::with_capacity(text.len());
    for (i, group) in text.split(separator).enumerate() {
        let fits = if i == 0 {
            (1..=3).contains(&group.len())
        } else {
            group.len() == 3
        };
        if !fits || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

/// A decimal written as `[-]int_part.frac_part × 10^exponent`, digits only.
struct Decimal<'a> {
    negative: bool,
    int_part: &'a str,
    frac_part: &'a str,
    exponent: i64,
}

impl Decimal<'_> {
    /// Rounds to whole cents, half away from zero, by looking at the digits: no float, no
    /// big integers, and as much work as there are digits.
    fn to_money(&self) -> Result<Money, MoneyError> {
        let digits_ok = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok(self.int_part) || !digits_ok(self.frac_part) {
            return Err(MoneyError::NotAnAmount);
        }
        let all = || self.int_part.bytes().chain(self.frac_part.bytes());
        let leading_zeros = all().take_while(|&b| b == b'0').count();
        let significant: Vec<u8> = all().skip(leading_zeros).collect();
        // Where the point of the amount in cents falls within the significant digits:
        // cents = significant[..point] "." significant[point..].
        // The exponent is clamped to ±10^15 and a body is at most a few MiB: no overflow.
        let point = self.int_part.len() as i64 - leading_zeros as i64 + self.exponent + 2;
        let cents = if significant.is_empty() || point < 0 {
            0
        } else if point == 0 {
            u64::from(significant[0] >= b'5')
        } else if point > 11 {
            // A first digit that is not 0 followed by 11 or more digits: above the maximum.
            return Err(self.too_large_or_negative());
        } else {
            let point = point as usize;
            let whole = significant
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(point)
                .fold(0u64, |value, &digit| value * 10 + u64::from(digit - b'0'));
            whole + u64::from(significant.get(point).is_some_and(|&digit| digit >= b'5'))
        };
        match Money::from_cents(cents) {
            Some(_) if self.negative && cents > 0 => Err(MoneyError::Negative),
            Some(money) => Ok(money),
            None => Err(self.too_large_or_negative()),
        }
    }

    fn too_large_or_negative(&self) -> MoneyError {
        match self.negative {
            true => MoneyError::Negative,
            false => MoneyError::TooLarge,
        }
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
        return Err(MoneyError::NotAnAmount);
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

    fn text(text: &str) -> Result<u64, MoneyError> {
        Money::from_text(text).map(Money::cents)
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
        assert_eq!(cents("1230e-3"), Ok(123));
        assert_eq!(cents("0e400"), Ok(0));
        assert_eq!(cents("12345e-4"), Ok(123));
    }

    #[test]
    fn more_decimals_round_half_away_from_zero_on_the_text() {
        // The amendment's examples, and what floats make of carts.
        assert_eq!(cents("30.279999999999998"), Ok(3028));
        assert_eq!(cents("0.30000000000000004"), Ok(30));
        assert_eq!(cents("1.005"), Ok(101)); // a binary float would make this 1.00
        assert_eq!(cents("1.234"), Ok(123));
        assert_eq!(cents("1.235"), Ok(124));
        assert_eq!(cents("1.2349999"), Ok(123));
        assert_eq!(cents("0.005"), Ok(1));
        assert_eq!(cents("0.0049999"), Ok(0));
        assert_eq!(cents("0.001"), Ok(0));
        assert_eq!(cents("1e-3"), Ok(0));
        assert_eq!(cents("5e-3"), Ok(1));
        assert_eq!(cents("1.230"), Ok(123));
        assert_eq!(cents("1.2300000000000000000000"), Ok(123));
        assert_eq!(cents("9.995"), Ok(1000));
        assert_eq!(cents("99.995"), Ok(10_000));
    }

    #[test]
    fn negatives_are_rejected_unless_they_round_to_zero() {
        assert_eq!(cents("-1"), Err(MoneyError::Negative));
        assert_eq!(cents("-0.01"), Err(MoneyError::Negative));
        assert_eq!(cents("-0.005"), Err(MoneyError::Negative));
        assert_eq!(cents("-1e9"), Err(MoneyError::Negative));
        assert_eq!(cents("-0"), Ok(0));
        assert_eq!(cents("-0.0"), Ok(0));
        // 0.3 - 0.1 - 0.2 in JavaScript: float noise around zero is zero.
        assert_eq!(cents("-2.7755575615628914e-17"), Ok(0));
        assert_eq!(cents("-0.004"), Ok(0));
    }

    #[test]
    fn the_upper_bound_is_inclusive_after_rounding() {
        assert_eq!(cents("99999999.99"), Ok(9_999_999_999));
        assert_eq!(cents("9999999999e-2"), Ok(9_999_999_999));
        assert_eq!(cents("99999999.994"), Ok(9_999_999_999));
        assert_eq!(cents("99999999.995"), Err(MoneyError::TooLarge));
        assert_eq!(cents("100000000"), Err(MoneyError::TooLarge));
        assert_eq!(cents("1e8"), Err(MoneyError::TooLarge));
        assert_eq!(cents("1e400"), Err(MoneyError::TooLarge));
        assert_eq!(cents("1e99999999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(cents("123456789012345678901234567890"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn tiny_exponents_do_not_overflow() {
        assert_eq!(cents("1e-99999999999999999999999"), Ok(0));
        assert_eq!(cents("0.5e-99999999999999999999"), Ok(0));
        assert_eq!(cents("5e-99999999999999999999"), Ok(0));
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in ["", "-", "abc", "1.", ".5", "1e", "1e+", "1,5", "0x10", "NaN", "1.2.3"] {
            assert_eq!(cents(text), Err(MoneyError::NotAnAmount), "{text:?}");
        }
    }

    #[test]
    fn amounts_as_people_write_them() {
        // The amendment's examples.
        assert_eq!(text("1.234,50 €"), Ok(123_450));
        assert_eq!(text("1,234.50"), Ok(123_450));
        assert_eq!(text("1.234.567"), Ok(123_456_700));
        assert_eq!(text("1.234"), Ok(123_400));
        assert_eq!(text("1,234"), Ok(123_400));
        assert_eq!(text("0,005"), Ok(1));
        assert_eq!(text("49,90"), Ok(4990));
        assert_eq!(text("49.9"), Ok(4990));
        assert_eq!(text("12,5 €"), Ok(1250));
        assert_eq!(text("49.90"), Ok(4990));
        // Currency before or after, with or without a space, trimmed.
        for written in [
            "€49,90",
            "€ 49,90",
            "49,90€",
            "49,90 €",
            "EUR 49,90",
            "49,90EUR",
            " 49,90 eur ",
            "\t49.90\n",
        ] {
            assert_eq!(text(written), Ok(4990), "{written:?}");
        }
        // One separator: thousands only with 1-3 leading digits (no leading 0) and 3 after.
        assert_eq!(text("0.500"), Ok(50));
        assert_eq!(text("1234.567"), Ok(123_457));
        assert_eq!(text("1.2345"), Ok(123));
        assert_eq!(text("123,45"), Ok(12_345));
        assert_eq!(text("100.000"), Ok(10_000_000));
        assert_eq!(text("1.000.000,00"), Ok(100_000_000));
        assert_eq!(text("30.279999999999998"), Ok(3028));
        assert_eq!(text("7"), Ok(700));
        assert_eq!(text("0"), Ok(0));
        assert_eq!(text(",5"), Ok(50));
        assert_eq!(text("5,"), Ok(500));
        assert_eq!(text("-0,00"), Ok(0));
        assert_eq!(text("1.234,"), Ok(123_400));
    }

    #[test]
    fn malformed_amounts_are_no_amounts() {
        for written in [
            "",
            " ",
            "ca. 50",
            "abc",
            "1.23.4",
            "12 Euro 50",
            "1,23,4",
            "1.234,5.6",
            "1,2.34",
            "1.23,45",
            "€",
            "EUR",
            "€ 5 €",
            "1 234,50",
            "1e2",
            "0x10",
            ".",
            ",",
            "49,-",
            "+5",
            "5 Euro",
            "12.345,678.9",
            ",1.5",
        ] {
            assert_eq!(text(written), Err(MoneyError::NotAnAmount), "{written:?}");
        }
        assert_eq!(text("-5"), Err(MoneyError::Negative));
        assert_eq!(text("-1.234,50 €"), Err(MoneyError::Negative));
        assert_eq!(text("100.000.000"), Err(MoneyError::TooLarge));
        assert_eq!(text("99.999.999,99 €"), Ok(9_999_999_999));
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
