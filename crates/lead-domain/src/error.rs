//! What is wrong with a lead: the published error codes and the field at fault.

use std::fmt;

use crate::{MoneyError, TextError};

/// A known field of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `type`
    Type,
    /// `email`
    Email,
    /// `message`
    Message,
    /// `subject`
    Subject,
    /// `total`
    Total,
    /// `attachments`
    Attachments,
}

impl Field {
    /// The field's name in the JSON payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Email => "email",
            Field::Message => "message",
            Field::Subject => "subject",
            Field::Total => "total",
            Field::Attachments => "attachments",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a body is not a JSON object we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not JSON (syntax error, invalid UTF-8, nesting too deep, empty body).
    Syntax,
    /// Valid JSON, but an array, string, number, boolean or `null`.
    NotAnObject,
    /// The object names the same key twice; which one was meant is ambiguous.
    DuplicateKey(String),
    /// Arrays and objects nested deeper than [`MAX_NESTING`](crate::MAX_NESTING) levels.
    TooDeep,
}

/// Why a known field's value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The JSON type is wrong (a number for `subject`, an array for `email`, …).
    WrongType,
    /// Longer than this many characters after trimming.
    TooLong(usize),
    /// Not the syntax of an email address.
    Email,
    /// Not an acceptable amount: why, and the value as sent (a string's text, or the JSON
    /// text of anything else) so that the message can name it.
    Money {
        /// What is wrong with it.
        reason: MoneyError,
        /// The value that could not be read.
        value: String,
    },
    /// Holds a NUL character (`\u0000`).
    Nul,
    /// Not a list of files `[{"filename", "data"}]` with `data` in base64.
    Attachments,
}

/// Why a payload was rejected; every variant maps to one stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadError {
    /// The body is not a JSON object.
    #[error("the body is not a JSON object ({0:?})")]
    InvalidJson(JsonProblem),
    /// `type` is missing, null or blank.
    #[error("the field `type` is missing")]
    MissingType,
    /// `type` is neither `"order"` nor `"ticket"`.
    #[error("the field `type` must be \"order\" or \"ticket\"")]
    InvalidType,
    /// A required field is missing, null or blank.
    #[error("the field `{0}` is missing")]
    MissingField(Field),
    /// A field holds an unacceptable value.
    #[error("the field `{field}` is invalid ({reason:?})")]
    InvalidField {
        /// The field at fault.
        field: Field,
        /// What is wrong with it.
        reason: Invalid,
    },
}

impl LeadError {
    /// The stable machine-readable code of the published contract.
    pub fn code(&self) -> &'static str {
        match self {
            LeadError::InvalidJson(_) => "invalid_json",
            LeadError::MissingType => "missing_type",
            LeadError::InvalidType => "invalid_type",
            LeadError::MissingField(_) => "missing_field",
            LeadError::InvalidField { .. } => "invalid_field",
        }
    }

    /// The field at fault, where exactly one is.
    pub fn field(&self) -> Option<Field> {
        match self {
            LeadError::InvalidJson(_) => None,
            LeadError::MissingType | LeadError::InvalidType => Some(Field::Type),
            LeadError::MissingField(field) | LeadError::InvalidField { field, .. } => Some(*field),
        }
    }

    pub(crate) fn invalid(field: Field, reason: Invalid) -> LeadError {
        LeadError::InvalidField { field, reason }
    }

    pub(crate) fn text(field: Field, error: TextError) -> LeadError {
        match error {
            TextError::TooLong { max } => LeadError::invalid(field, Invalid::TooLong(max)),
            TextError::Nul => LeadError::invalid(field, Invalid::Nul),
        }
    }
}
