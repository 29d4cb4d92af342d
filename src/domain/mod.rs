//! Pure business rules: no database, no GraphQL. Every rule here is unit- and property-tested.

pub mod attribution;
pub mod audit;
pub mod bots;
pub mod brand;
pub mod calendar;
pub mod campaign;
pub mod codes;
pub mod commission;
pub mod connector;
pub mod content;
pub mod conversion;
pub mod destination;
pub mod email;
pub mod enrollment;
pub mod erasure;
pub mod experiment;
pub mod export;
pub mod forecast;
pub mod fraud;
pub mod lifecycle;
pub mod lift;
pub mod ltv;
pub mod mail;
pub mod metrics;
pub mod money;
pub mod offer;
pub mod password;
pub mod ranking;
pub mod roster;
pub mod signed_cover;
pub mod text;
pub mod uniques;
pub mod webhook;

/// An enumeration stored as its UPPER_SNAKE name (the same name the API uses):
/// `as_str`, `parse` and `ALL`.
macro_rules! stored_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value of a stored name; `None` for anything else.
            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use stored_enum;
