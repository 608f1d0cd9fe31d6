//! Closed sets of words — statuses, roles, channels — defined one way: [`words!`](crate::words)
//! spells each variant as stored and shown, and parses it back into the type.

use std::fmt;

/// A word that is not one of a set's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What the set is (`status`, `role`, …).
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The set's words, in declaration order.
    pub expected: &'static [&'static str],
}

impl UnknownWord {
    /// The set's words, comma-separated.
    pub fn expected_list(&self) -> String {
        self.expected.join(", ")
    }
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; expected one of: {}",
            self.what,
            self.given,
            self.expected_list()
        )
    }
}

impl std::error::Error for UnknownWord {}

/// A closed set of words made by [`words!`](crate::words): what code generic over such a set
/// (a status of either kind of lead) may use.
pub trait Word:
    Copy + Eq + std::hash::Hash + fmt::Debug + fmt::Display + std::str::FromStr<Err = UnknownWord> + Send + Sync + 'static
{
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    /// Its spelling, as stored and shown.
    fn word(self) -> &'static str;
}

/// Defines an enum of a closed set of words: each variant's spelling (`as_str`, `Display`),
/// every value in declaration order (`ALL`), and parsing back (`FromStr` and
/// `TryFrom<String>`, failing with an [`UnknownWord`] that names the set as `$what`).
///
/// ```
/// lead_domain::words! {
///     /// A traffic light.
///     Light("light") {
///         /// Stop.
///         Red = "red",
///         /// Go.
///         Green = "green",
///     }
/// }
///
/// assert_eq!("green".parse::<Light>(), Ok(Light::Green));
/// assert_eq!(Light::ALL, &[Light::Red, Light::Green]);
/// assert_eq!(
///     "blue".parse::<Light>().unwrap_err().to_string(),
///     r#"unknown light "blue"; expected one of: red, green"#
/// );
/// ```
#[macro_export]
macro_rules! words {
    ($(#[$doc:meta])* $name:ident($what:literal) { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its spelling, as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl $crate::Word for $name {
            const ALL: &'static [$name] = $name::ALL;

            fn word(self) -> &'static str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownWord;

            fn from_str(text: &str) -> ::std::result::Result<Self, $crate::UnknownWord> {
                match text {
                    $($text => Ok($name::$variant),)*
                    other => Err($crate::UnknownWord {
                        what: $what,
                        given: other.to_owned(),
                        expected: &[$($text),*],
                    }),
                }
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = $crate::UnknownWord;

            fn try_from(text: String) -> ::std::result::Result<Self, $crate::UnknownWord> {
                text.parse()
            }
        }
    };
}
