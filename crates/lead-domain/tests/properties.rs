//! Property tests of the parser: whatever a website sends, `Lead::parse` answers without
//! panicking; what it accepts survives a round trip through `Lead::to_json`; money is exact.
//! The same properties are fuzzed for longer by `fuzz/` (see docs/security.md).

use lead_domain::{Lead, LeadError, Money, MoneyError};
use proptest::prelude::*;

/// A JSON string literal holding `text`.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Values a website might put into a field: strings of every kind, numbers written in
/// every way JSON allows, and the other JSON types.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| quoted(&s)),
        "[ \t]{0,3}[a-zA-Z0-9._%+-]{1,12}@[a-z0-9-]{1,10}\\.[a-z]{2,4}[ \t]{0,3}".prop_map(|s| quoted(&s)),
        Just(quoted("order")),
        Just(quoted("ticket")),
        "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[1,{\"a\":[]}]".to_owned()),
        Just("{\"x\":{}}".to_owned()),
    ]
}

/// Objects made of the known fields (and an unknown one), in any order, any of them missing.
fn payload() -> impl Strategy<Value = String> {
    let names = prop_oneof![
        Just("type"),
        Just("email"),
        Just("message"),
        Just("subject"),
        Just("total"),
        Just("coupon"),
    ];
    proptest::collection::vec((names, value()), 0..7).prop_map(|members| {
        let mut seen = std::collections::HashSet::new();
        let body: Vec<String> = members
            .into_iter()
            .filter(|(name, _)| seen.insert(*name))
            .map(|(name, value)| format!("{}:{value}", quoted(name)))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

/// A valid lead's payload, so that the accepting side is exercised as much as the rejecting one.
fn valid_payload() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("order"), Just("ticket")],
        "[a-zA-Z0-9_%+-]{1,12}(\\.[a-z0-9]{1,5})?@[a-z0-9]{1,12}\\.[a-z]{2,6}",
        proptest::option::of(any::<String>()),
        "\\PC{0,39}[a-zA-Z0-9]", // never blank (a blank message is missing)
        0..=Money::MAX_CENTS,
    )
        .prop_map(|(kind, email, subject, message, cents)| {
            let mut body = format!(
                "{{\"type\":\"{kind}\",\"email\":{},\"message\":{},\"total\":{}",
                quoted(&email),
                quoted(&message),
                Money::from_cents(cents).unwrap().to_decimal()
            );
            if let Some(subject) = subject {
                body.push_str(&format!(",\"subject\":{}", quoted(&subject)));
            }
            body.push('}');
            body
        })
}

fn round_trips(body: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(lead) = Lead::parse(body) {
        let json = lead.to_json();
        let again = Lead::parse(json.as_bytes());
        prop_assert_eq!(
            again.as_ref(),
            Ok(&lead),
            "{} re-serialised as {}",
            String::from_utf8_lossy(body),
            json
        );
    }
    Ok(())
}

/// Ways of writing `cents / 100` as a JSON number with at most two significant decimals.
fn spellings(cents: u64) -> Vec<String> {
    let (euros, rest) = (cents / 100, cents % 100);
    let mut all = vec![
        format!("{euros}.{rest:02}"),
        format!("{euros}.{rest:02}000"),
        format!("{cents}e-2"),
        format!("{cents}0E-3"),
    ];
    if rest == 0 {
        all.extend([
            euros.to_string(),
            format!("{euros}.0"),
            format!("{euros}e0"),
            format!("{euros}E+0"),
        ]);
    }
    if rest % 10 == 0 {
        all.push(format!("{euros}.{}", rest / 10));
    }
    all
}

/// `value` with `separator` between groups of three digits: `1234567` → `1.234.567`.
fn grouped(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// Every way people write `cents / 100`: German and English notation, with and without
/// thousands separators, with two decimals or (for whole euros) none, with and without `€`
/// or `EUR` before or after, with and without a space.
fn written(cents: u64) -> Vec<String> {
    let (euros, rest) = (cents / 100, cents % 100);
    let mut numbers = Vec::new();
    for (decimal, thousands) in [(',', '.'), ('.', ',')] {
        numbers.push(format!("{euros}{decimal}{rest:02}"));
        numbers.push(format!("{}{decimal}{rest:02}", grouped(euros, thousands)));
        if rest == 0 {
            numbers.push(grouped(euros, thousands));
        }
    }
    if rest == 0 {
        numbers.push(euros.to_string());
    }
    let mut all = Vec::new();
    for number in numbers {
        for (before, after) in [
            ("", ""),
            ("€", ""),
            ("€ ", ""),
            ("", "€"),
            ("", " €"),
            ("EUR ", ""),
            ("", " EUR"),
            ("", "EUR"),
        ] {
            all.push(format!("{before}{number}{after}"));
        }
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Lead::parse(&body);
        round_trips(&body)?;
    }

    #[test]
    fn arbitrary_objects_answer_and_round_trip(body in payload()) {
        match Lead::parse(body.as_bytes()) {
            Ok(_) => round_trips(body.as_bytes())?,
            Err(error) => prop_assert!(
                ["invalid_json", "missing_type", "invalid_type", "missing_field", "invalid_field"].contains(&error.code())
            ),
        }
    }

    #[test]
    fn the_canonical_spelling_says_the_same_and_is_a_fixed_point(body in payload()) {
        let canonical = lead_domain::canonical_json(&body).expect("the payloads are JSON");
        prop_assert_eq!(lead_domain::canonical_json(&canonical), Some(canonical.clone()));
        // The same value (where serde_json can hold its numbers as floats at all).
        let as_value = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
        if let Some(value) = as_value(&body) {
            prop_assert_eq!(as_value(&canonical), Some(value.clone()));
            let spaced = body.replace(',', " ,\n ").replace(':', " : ");
            if as_value(&spaced) == Some(value) {
                prop_assert_eq!(lead_domain::canonical_json(&spaced), Some(canonical));
            }
        }
    }

    #[test]
    fn valid_leads_are_accepted_and_round_trip(body in valid_payload()) {
        let lead = Lead::parse(body.as_bytes());
        // Only an over-long subject may reject these.
        if let Err(error) = &lead {
            prop_assert_eq!(error.field().map(|f| f.as_str()), Some("subject"), "{}", body);
        }
        round_trips(body.as_bytes())?;
    }

    #[test]
    fn money_is_exact_for_every_amount_with_two_places(cents in 0..=Money::MAX_CENTS) {
        for text in spellings(cents) {
            prop_assert_eq!(Money::from_json_number(&text).map(Money::cents), Ok(cents), "{}", text);
            let body = format!("{{\"type\":\"order\",\"email\":\"a@b.de\",\"total\":{text}}}");
            match Lead::parse(body.as_bytes()) {
                Ok(Lead::Order(order)) => prop_assert_eq!(order.total.cents(), cents),
                other => prop_assert!(false, "{} gave {:?}", body, other),
            }
        }
        prop_assert_eq!(Money::from_json_number(&Money::from_cents(cents).unwrap().to_decimal()).map(Money::cents), Ok(cents));
    }

    #[test]
    fn json_numbers_within_half_a_cent_round_to_it(
        cents in 0..=Money::MAX_CENTS,
        offset in -5_000i64..5_000,
        extra_zeros in 0usize..4,
    ) {
        // The value cents + offset / 10 000 (in cents), strictly within half a cent of
        // `cents`, or exactly half a cent below it, which rounds away from zero: up to `cents`
        // (but -0.005 € rounds to -0.01 €, negative: so not for zero).
        let offset = if cents == 0 { offset.max(-4_999) } else { offset };
        let ten_thousandths = i128::from(cents) * 10_000 + i128::from(offset);
        let (sign, magnitude) = if ten_thousandths < 0 { ("-", -ten_thousandths) } else { ("", ten_thousandths) };
        // In euro: magnitude × 10^-6, written as a decimal and in exponent notation.
        let zeros = "0".repeat(extra_zeros);
        let decimal = format!("{sign}{}.{:06}{zeros}", magnitude / 1_000_000, magnitude % 1_000_000);
        let exponent = format!("{sign}{magnitude}{zeros}e-{}", 6 + extra_zeros);
        for text in [decimal, exponent] {
            prop_assert_eq!(Money::from_json_number(&text).map(Money::cents), Ok(cents), "{}", text);
        }
    }

    #[test]
    fn floats_of_a_cent_amount_read_back_as_it(cents in 0..=Money::MAX_CENTS) {
        // What a shop computing in binary floating point sends: the shortest text of the
        // float nearest to the amount (PHP's json_encode, JavaScript's JSON.stringify).
        let float = cents as f64 / 100.0;
        let text = serde_json::to_string(&float).unwrap();
        prop_assert_eq!(Money::from_json_number(&text).map(Money::cents), Ok(cents), "{}", text);
        let sum = serde_json::to_string(&(float + 0.1 + 0.2 - 0.3)).unwrap();
        prop_assert_eq!(Money::from_json_number(&sum).map(Money::cents), Ok(cents), "{}", sum);
    }

    #[test]
    fn every_way_people_write_an_amount_reads_back(cents in 0..=Money::MAX_CENTS) {
        for text in written(cents) {
            prop_assert_eq!(Money::from_text(&text).map(Money::cents), Ok(cents), "{}", text);
            let body = format!("{{\"type\":\"order\",\"email\":\"a@b.de\",\"total\":{}}}", quoted(&text));
            match Lead::parse(body.as_bytes()) {
                Ok(Lead::Order(order)) => prop_assert_eq!(order.total.cents(), cents),
                other => prop_assert!(false, "{} gave {:?}", body, other),
            }
        }
    }

    #[test]
    fn amounts_above_the_maximum_are_refused(cents in (Money::MAX_CENTS + 1)..u64::MAX / 10) {
        let text = format!("{}.{:02}", cents / 100, cents % 100);
        prop_assert_eq!(Money::from_json_number(&text), Err(MoneyError::TooLarge), "{}", text);
    }
}

#[test]
fn the_round_trip_keeps_fallback_titles_and_zero_totals() {
    let lead = Lead::parse(br#"{"type":"order","email":"kunde@beispiel.de"}"#).unwrap();
    assert_eq!(
        lead.to_json(),
        r#"{"email":"kunde@beispiel.de","subject":"Web-Bestellung","type":"order","total":0.00}"#
    );
    assert_eq!(Lead::parse(lead.to_json().as_bytes()), Ok(lead));
    let error: LeadError = Lead::parse(b"{}").unwrap_err();
    assert_eq!(error.code(), "missing_type");
}
