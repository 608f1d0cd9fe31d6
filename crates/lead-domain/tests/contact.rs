//! What a lead's body tells of its sender: found by the names forms give it, in any case, at
//! the top or nested under an address; what is not there stays empty.

use lead_domain::Contact;
use serde_json::json;

#[test]
fn a_shop_order_with_a_billing_address() {
    let body = json!({
        "type": "order", "email": "a@b.de", "total": 10,
        "Vorname": "Jürgen", "NACHNAME": "Müller", "Telefon": " 0351 4711 ",
        "billing": {"Straße": "Hauptstraße 1", "PLZ": "01067", "Ort": "Dresden", "Land": "Deutschland"},
        "shipping": {"street": "Lager 9", "city": "Leipzig"},
    });
    assert_eq!(
        Contact::of(&body),
        Contact {
            name: "Jürgen Müller".into(),
            phone: "0351 4711".into(),
            organization: String::new(),
            street: "Hauptstraße 1".into(),
            zip: "01067".into(),
            city: "Dresden".into(),
            country: "Deutschland".into(),
        },
        "the billing address comes before the shipping one"
    );
}

#[test]
fn names_in_their_order_and_the_firm_as_the_last_resort() {
    let name = |body: serde_json::Value| Contact::of(&body).name;
    assert_eq!(name(json!({"name": "Erika", "vorname": "X", "nachname": "Y"})), "Erika");
    assert_eq!(name(json!({"first_name": "Ann", "last_name": "Lee"})), "Ann Lee");
    assert_eq!(name(json!({"nachname": "Lee"})), "Lee", "either half alone");
    assert_eq!(name(json!({"firma": "Bäckerei Schmidt"})), "Bäckerei Schmidt");
    let firm = Contact::of(&json!({"Company": "ACME GmbH", "name": "Ann"}));
    assert_eq!((firm.name.as_str(), firm.organization.as_str()), ("Ann", "ACME GmbH"));
    assert_eq!(name(json!({"name": "   "})), "", "blank is nothing");
}

#[test]
fn the_top_wins_over_a_nested_address_and_odd_values_are_passed_over() {
    let contact = Contact::of(&json!({
        "city": "Berlin", "tel": 4930123, "zip": ["10115"], "mobil": "0170 1",
        "address": {"city": "Hamburg", "zip": "20095", "street": "Line\u{0}one\nLine two"},
    }));
    assert_eq!(contact.city, "Berlin");
    assert_eq!(contact.phone, "4930123", "a number as text");
    assert_eq!(
        contact.zip, "20095",
        "a list is no postal code: the nested one is taken"
    );
    assert_eq!(contact.street, "Line one Line two", "control characters become spaces");
}

#[test]
fn long_values_are_cut_and_anything_but_an_object_tells_nothing() {
    let contact = Contact::of(&json!({"street": "s".repeat(300), "phone": "1".repeat(80)}));
    assert_eq!(contact.street.chars().count(), 200);
    assert_eq!(contact.phone.chars().count(), 50);
    assert_eq!(Contact::of(&json!(["name", "x"])), Contact::default());
    assert_eq!(Contact::of(&json!({"type": "ticket"})), Contact::default());
}
