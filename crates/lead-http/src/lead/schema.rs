//! The lead request's description for the OpenAPI document (the body itself is read by
//! `lead_domain::LeadBody`).

/// A lead as a website sends it (JSON, or the same fields as a plain HTML form). Read by
/// `lead_domain::LeadBody::parse`, not by serde: this type only carries its description.
pub(crate) struct LeadRequest;

impl utoipa::PartialSchema for LeadRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description.to_owned()))
        };
        let optional_text =
            |description: &str| text(description).schema_type(SchemaType::from_iter([Type::String, Type::Null]));
        ObjectBuilder::new()
            .description(Some(
                "A lead as a website sends it (JSON, or the same fields as a plain HTML form).",
            ))
            .property(
                "type",
                text(
                    "`order` (a web order for the inbox) or `ticket` (a contact or support request), in any \
                     case and with any surrounding whitespace; the answer names it in lower case.",
                )
                .examples([serde_json::json!("ticket")]),
            )
            .required("type")
            .property(
                "email",
                text("The sender's email address, at most 254 characters.")
                    .examples([serde_json::json!("max.mustermann@beispiel.de")]),
            )
            .required("email")
            .property(
                "message",
                optional_text("The request; required for tickets, at most 20 000 characters."),
            )
            .property(
                "subject",
                optional_text("The title, at most 200 characters (fallback `Anfrage Webseite` / `Web-Bestellung`)."),
            )
            .property("total", amount_schema())
            .property("attachments", attachments_schema())
            .property(
                "consent",
                optional_text(
                    "The consent checkbox: `on`, `true`, `1`, `ja`, `yes` (any case) or JSON `true` mean given, \
                     anything else not given. Recorded with the lead, with the time, the page and the visitor's network.",
                ),
            )
            .property(
                "consent_text",
                optional_text("The consent sentence the visitor read (at most 2,000 characters kept; else the key's)."),
            )
            .into()
    }
}

impl utoipa::ToSchema for LeadRequest {}

/// `total`: a JSON number, or a text as people write amounts.
fn amount_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(99_999_999.99))
                .description(Some("rounded to cents half away from zero on its decimal text (30.279999999999998 is 30.28)"))
                .examples([serde_json::json!(49.9)]),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "an amount as people write it: German or English notation, optional € or EUR \
                     (\"1.234,50 €\", \"1,234.50\", \"49,90\"; \"1.234\" is one thousand two hundred and \
                     thirty-four euros); an empty text counts as absent",
                ))
                .examples([serde_json::json!("1.234,50 €")]),
        )
        .description(Some(
            "Orders only (ignored for tickets): the gross amount in euro, 0 to 99 999 999.99, stored as exact cents; absent is 0.",
        ))
        .build()
        .into()
}

/// `attachments`: files in JSON (a form sends file parts instead).
fn attachments_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let text = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description.to_owned()))
    };
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .property(
                    "filename",
                    text("The file's name; a path, control characters and `..` are taken out."),
                )
                .property("content_type", text("Ignored: the type is read from the bytes."))
                .property(
                    "data",
                    text("The bytes, in base64 (padded or not) or as a `data:` URL."),
                )
                .required("data"),
        )
        .description(Some(
            "Files sent with the lead (a `multipart/form-data` form sends file parts instead): at most 10, \
             each at most 10 MiB, 25 MiB together unless the operator set other limits (`413 payload_too_large` \
             beyond, nothing stored). Photos, PDF, text, CSV, Office/OpenDocument files and ZIP are kept with the \
             lead; another type is not, and the lead carries a note naming it.",
        ))
        .build()
        .into()
}
