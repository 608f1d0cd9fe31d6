//! Reading a lead: every rule of the published contract on `type`, `email`, `message`,
//! `subject` and `total`, the JSON it must be, and what else a body may carry.

use lead_domain::*;

fn parse(json: &str) -> Result<Lead, LeadError> {
    Lead::parse(json.as_bytes())
}

fn err(json: &str) -> (&'static str, Option<&'static str>) {
    let error = parse(json).expect_err(json);
    (error.code(), error.field().map(Field::as_str))
}

#[test]
fn the_published_example_is_a_ticket() {
    let lead = parse(
        r#"{"type":"ticket","email":"max.mustermann@beispiel.de","subject":"Interesse an Beratung",
            "message":"Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen.","total":0.00}"#,
    )
    .unwrap();
    let Lead::Ticket(ticket) = &lead else {
        panic!("not a ticket: {lead:?}")
    };
    assert_eq!(ticket.email.as_str(), "max.mustermann@beispiel.de");
    assert_eq!(ticket.title.as_str(), "Interesse an Beratung");
    assert_eq!(
        ticket.message.as_str(),
        "Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen."
    );
    assert_eq!(
        lead.notification_text(),
        "Neues Ticket! „Interesse an Beratung“ von max.mustermann@beispiel.de ist eingegangen."
    );
}

#[test]
fn an_order_carries_exact_cents_and_its_notification() {
    let lead = parse(r#"{"type":"order","email":"a@b.de","total":1234.50}"#).unwrap();
    let Lead::Order(order) = &lead else {
        panic!("not an order")
    };
    assert_eq!(order.total.cents(), 123_450);
    assert_eq!(order.title.as_str(), "Web-Bestellung");
    assert_eq!(order.message, None);
    assert_eq!(
        lead.notification_text(),
        "Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen."
    );
}

#[test]
fn order_total_edges() {
    let total = |t: &str| match parse(&format!(r#"{{"type":"order","email":"a@b.de","total":{t}}}"#)) {
        Ok(Lead::Order(order)) => Ok(order.total.cents()),
        Ok(other) => panic!("not an order: {other:?}"),
        Err(e) => Err((e.code(), e.field())),
    };
    assert_eq!(total("19.99"), Ok(1999));
    assert_eq!(total("0.1"), Ok(10));
    assert_eq!(total("1e2"), Ok(10_000));
    assert_eq!(total("1.230"), Ok(123));
    assert_eq!(total("null"), Ok(0));
    assert_eq!(total("-0"), Ok(0));
    // Formatting noise is rounded, never refused.
    assert_eq!(total("30.279999999999998"), Ok(3028));
    assert_eq!(total("0.30000000000000004"), Ok(30));
    assert_eq!(total("1.005"), Ok(101));
    assert_eq!(total("1.234"), Ok(123));
    assert_eq!(total("99999999.991"), Ok(9_999_999_999));
    // Strings are amounts as people write them.
    assert_eq!(total("\"49.90\""), Ok(4990));
    assert_eq!(total("\"1.234,50 €\""), Ok(123_450));
    assert_eq!(total("\"1.234\""), Ok(123_400));
    assert_eq!(total("\"\""), Ok(0));
    assert_eq!(total("\"  \""), Ok(0));
    assert_eq!(
        total("\"\\u0034\\u0039,90\""),
        Ok(4990),
        "escapes are read as the text they spell"
    );
    let invalid = Err(("invalid_field", Some(Field::Total)));
    for bad in [
        "-1",
        "-0.01",
        "100000000",
        "99999999.995",
        "1e400",
        "true",
        "[1]",
        "{}",
        "\"ca. 50\"",
        "\"1.23.4\"",
        "\"12 Euro 50\"",
        "\"-5\"",
    ] {
        assert_eq!(total(bad), invalid, "{bad}");
    }
    assert_eq!(total("99999999.99"), Ok(9_999_999_999));
    let absent = parse(r#"{"type":"order","email":"a@b.de"}"#).unwrap();
    assert!(matches!(absent, Lead::Order(WebOrder { total: Money::ZERO, .. })));
}

#[test]
fn a_bad_total_names_the_value_that_could_not_be_read() {
    let reason = |json: &str| match parse(json) {
        Err(LeadError::InvalidField {
            reason: Invalid::Money { reason, value },
            ..
        }) => (reason, value),
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(
        reason(r#"{"type":"order","email":"a@b.de","total":"ca. 50"}"#),
        (MoneyError::NotAnAmount, "ca. 50".to_owned())
    );
    assert_eq!(
        reason(r#"{"type":"order","email":"a@b.de","total":-5}"#),
        (MoneyError::Negative, "-5".to_owned())
    );
    assert_eq!(
        reason(r#"{"type":"order","email":"a@b.de","total":[1]}"#),
        (MoneyError::NotAnAmount, "[1]".to_owned())
    );
}

#[test]
fn a_ticket_ignores_total_whatever_it_holds() {
    for total in ["0.00", "\"abc\"", "-5", "1.234", "[]"] {
        let json = format!(r#"{{"type":"ticket","email":"a@b.de","message":"Hi","total":{total}}}"#);
        assert!(matches!(parse(&json), Ok(Lead::Ticket(_))), "{json}");
    }
}

#[test]
fn type_rules() {
    assert_eq!(err(r#"{"email":"a@b.de"}"#), ("missing_type", Some("type")));
    assert_eq!(err(r#"{"type":null,"email":"a@b.de"}"#), ("missing_type", Some("type")));
    assert_eq!(err(r#"{"type":"  ","email":"a@b.de"}"#), ("missing_type", Some("type")));
    for bad in [
        r#""invoice""#,
        "5",
        "true",
        r#"["order"]"#,
        r#""or der""#,
        r#""orders""#,
    ] {
        assert_eq!(
            err(&format!(r#"{{"type":{bad},"email":"a@b.de"}}"#)),
            ("invalid_type", Some("type")),
            "{bad}"
        );
    }
    // Trimmed and in any case; the lead carries the canonical type.
    for (sent, kind) in [
        ("Order", LeadType::Order),
        (" ORDER ", LeadType::Order),
        ("order\\n", LeadType::Order),
        (" TICKET ", LeadType::Ticket),
        ("Ticket", LeadType::Ticket),
    ] {
        let lead = parse(&format!(r#"{{"type":"{sent}","email":"a@b.de","message":"m"}}"#)).unwrap();
        assert_eq!(lead.lead_type(), kind, "{sent:?}");
    }
}

#[test]
fn type_is_checked_before_the_other_fields() {
    assert_eq!(err(r#"{"type":"x","email":5}"#), ("invalid_type", Some("type")));
    assert_eq!(err(r#"{}"#), ("missing_type", Some("type")));
}

#[test]
fn the_fields_are_checked_in_the_documented_order() {
    // type, email, message, subject, total: the first error is the one reported.
    let long = "x".repeat(201);
    assert_eq!(
        err(&format!(r#"{{"type":"ticket","email":"bad","subject":"{long}"}}"#)),
        ("invalid_field", Some("email"))
    );
    assert_eq!(
        err(&format!(r#"{{"type":"ticket","email":"a@b.de","subject":"{long}"}}"#)),
        ("missing_field", Some("message"))
    );
    assert_eq!(
        err(&format!(
            r#"{{"type":"order","email":"a@b.de","message":5,"subject":"{long}","total":"x"}}"#
        )),
        ("invalid_field", Some("message"))
    );
    assert_eq!(
        err(&format!(
            r#"{{"type":"order","email":"a@b.de","subject":"{long}","total":"x"}}"#
        )),
        ("invalid_field", Some("subject"))
    );
}

#[test]
fn email_rules() {
    for kind in ["order", "ticket"] {
        let with = |email: &str| format!(r#"{{"type":"{kind}","message":"m"{email}}}"#);
        assert_eq!(err(&with("")), ("missing_field", Some("email")));
        assert_eq!(err(&with(r#","email":null"#)), ("missing_field", Some("email")));
        assert_eq!(err(&with(r#","email":"   ""#)), ("missing_field", Some("email")));
        assert_eq!(err(&with(r#","email":"kein-at""#)), ("invalid_field", Some("email")));
        assert_eq!(err(&with(r#","email":["a@b.de"]"#)), ("invalid_field", Some("email")));
        assert_eq!(err(&with(r#","email":42"#)), ("invalid_field", Some("email")));
        let long = format!(r#","email":"{}@b.de""#, "a".repeat(250));
        assert_eq!(err(&with(&long)), ("invalid_field", Some("email")));
    }
    let lead = parse(r#"{"type":"order","email":"  Max@Beispiel.DE "}"#).unwrap();
    assert_eq!(lead.email().as_str(), "Max@Beispiel.DE");
}

#[test]
fn message_rules() {
    assert_eq!(
        err(r#"{"type":"ticket","email":"a@b.de"}"#),
        ("missing_field", Some("message"))
    );
    assert_eq!(
        err(r#"{"type":"ticket","email":"a@b.de","message":" \n "}"#),
        ("missing_field", Some("message"))
    );
    assert_eq!(
        err(r#"{"type":"ticket","email":"a@b.de","message":null}"#),
        ("missing_field", Some("message"))
    );
    assert_eq!(
        err(r#"{"type":"ticket","email":"a@b.de","message":7}"#),
        ("invalid_field", Some("message"))
    );
    let long = format!(
        r#"{{"type":"order","email":"a@b.de","message":"{}"}}"#,
        "x".repeat(20_001)
    );
    assert_eq!(err(&long), ("invalid_field", Some("message")));
    let lead = parse(r#"{"type":"order","email":"a@b.de","message":"  Bitte liefern  "}"#).unwrap();
    assert_eq!(lead.message().unwrap().as_str(), "Bitte liefern");
    let lead = parse(r#"{"type":"order","email":"a@b.de","message":"  "}"#).unwrap();
    assert_eq!(lead.message(), None);
}

#[test]
fn subject_rules() {
    let ticket = |subject: &str| format!(r#"{{"type":"ticket","email":"a@b.de","message":"m"{subject}}}"#);
    assert_eq!(parse(&ticket("")).unwrap().title().as_str(), "Anfrage Webseite");
    assert_eq!(
        parse(&ticket(r#","subject":"   ""#)).unwrap().title().as_str(),
        "Anfrage Webseite"
    );
    assert_eq!(
        parse(&ticket(r#","subject":null"#)).unwrap().title().as_str(),
        "Anfrage Webseite"
    );
    assert_eq!(
        parse(&ticket(r#","subject":" Rückruf ""#)).unwrap().title().as_str(),
        "Rückruf"
    );
    assert_eq!(err(&ticket(r#","subject":5"#)), ("invalid_field", Some("subject")));
    let long = format!(r#","subject":"{}""#, "s".repeat(201));
    assert_eq!(err(&ticket(&long)), ("invalid_field", Some("subject")));
    let order = parse(r#"{"type":"order","email":"a@b.de","subject":""}"#).unwrap();
    assert_eq!(order.title().as_str(), "Web-Bestellung");
}

#[test]
fn bodies_that_are_not_objects_are_invalid_json() {
    for body in [
        "",
        "   ",
        "{",
        "nope",
        "[]",
        "[1,2]",
        "\"order\"",
        "null",
        "42",
        "true",
        "{\"type\":}",
    ] {
        assert_eq!(err(body), ("invalid_json", None), "{body:?}");
    }
    assert_eq!(
        Lead::parse(b"{\"type\":\"order\",\"email\":\"a@b.de\",\"message\":\"\xff\"}").map_err(|e| e.code()),
        Err("invalid_json")
    );
}

#[test]
fn nul_characters_in_known_texts_are_invalid_but_elsewhere_kept() {
    for (json, field) in [
        (r#"{"type":"ticket","email":"a@b.de","message":"x\u0000y"}"#, "message"),
        (r#"{"type":"order","email":"a@b.de","subject":"\u0000"}"#, "subject"),
        (r#"{"type":"order","email":"a\u0000@b.de"}"#, "email"),
    ] {
        assert_eq!(err(json), ("invalid_field", Some(field)), "{json}");
    }
    // An unknown field is kept as sent, escape and all: the raw payload stays JSON text.
    assert!(parse(r#"{"type":"order","email":"a@b.de","note":"\u0000"}"#).is_ok());
}

#[test]
fn extra_fields_are_whatever_is_not_a_known_field() {
    let extra = extra_fields(r#"{"type":"order","email":"a@b.de","total":1,"phone":"0301","cart":[1,2]}"#);
    assert_eq!(
        serde_json::Value::Object(extra).to_string(),
        r#"{"cart":[1,2],"phone":"0301"}"#
    );
    assert!(extra_fields("[1]").is_empty());
    // Absent is absent: a form's empty fields (a real lead's honeypot) are not extra.
    let extra = extra_fields(r#"{"type":"ticket","_gotcha":null,"fax":"  ","phone":"0301","zero":0,"no":false}"#);
    assert_eq!(
        serde_json::Value::Object(extra).to_string(),
        r#"{"no":false,"phone":"0301","zero":0}"#
    );
}

#[test]
fn duplicate_keys_are_rejected_not_guessed() {
    assert_eq!(
        parse(r#"{"type":"order","type":"ticket","email":"a@b.de","message":"m"}"#),
        Err(LeadError::InvalidJson(JsonProblem::DuplicateKey("type".into())))
    );
    // Escaped spellings of the same key count as the same key.
    assert_eq!(
        err(r#"{"type":"order","t\u0079pe":"order","email":"a@b.de"}"#),
        ("invalid_json", None)
    );
    assert_eq!(
        err(r#"{"type":"order","email":"a@b.de","x":1,"x":2}"#),
        ("invalid_json", None)
    );
}

#[test]
fn unknown_fields_and_nested_values_are_accepted() {
    let lead = parse(r#"{"type":"order","email":"a@b.de","cart":[{"sku":"A1","qty":2}],"utm":{"source":"x"}}"#);
    assert!(lead.is_ok());
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let inner = MAX_NESTING - 1; // the payload object itself is the first level
    let body = format!(
        r#"{{"type":"order","email":"a@b.de","x":{}{},"s":"[[[[{{{{"}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    );
    assert!(parse(&body).is_ok());
    let body = format!(
        r#"{{"type":"order","email":"a@b.de","x":{}{}}}"#,
        "[".repeat(inner + 1),
        "]".repeat(inner + 1)
    );
    assert_eq!(parse(&body), Err(LeadError::InvalidJson(JsonProblem::TooDeep)));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let depth = 100_000;
    let body = format!(
        r#"{{"type":"order","email":"a@b.de","x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_eq!(err(&body), ("invalid_json", None));
}

#[test]
fn a_disabled_webhook_is_told_in_english_to_the_operator_and_in_german_to_the_team() {
    use std::time::Duration;
    let failing = WebhookDisabled::Failing(Duration::from_secs(3 * 24 * 3600));
    assert_eq!(failing.reason(), "every delivery failed for 3 days");
    assert_eq!(
        failing.notification("https://hooks.example.de/…"),
        "Webhook deaktiviert: https://hooks.example.de/… – seit 3 Tagen schlug jede Zustellung fehl. \
         Der Betreiber schaltet ihn mit „lead-server webhook enable“ wieder ein."
    );
    // Under a day: whole hours, at least one; one in the singular.
    let briefly = WebhookDisabled::Failing(Duration::from_secs(90));
    assert_eq!(briefly.reason(), "every delivery failed for 1 hour");
    assert!(briefly.notification("x").contains("seit 1 Stunde schlug"));
    let a_day = WebhookDisabled::Failing(Duration::from_secs(24 * 3600 + 5));
    assert_eq!(a_day.reason(), "every delivery failed for 1 day");
    assert!(a_day.notification("x").contains("seit 1 Tag schlug"));
    let hours = WebhookDisabled::Failing(Duration::from_secs(5 * 3600));
    assert!(hours.notification("x").contains("seit 5 Stunden schlug"));
    assert_eq!(WebhookDisabled::Gone.reason(), "the endpoint answered 410 Gone");
    assert!(WebhookDisabled::Gone
        .notification("https://a.example")
        .contains("der Empfänger antwortete 410 Gone"));
}
