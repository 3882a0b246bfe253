//! Enums a provider may extend: [`open_enum!`](macro@crate::open_enum).
//!
//! Providers add statuses and codes without notice. An enum declared with `open_enum!` decodes
//! any string: known values become their variant, anything else becomes `Unknown`, which keeps
//! the raw string (`as_str()` gives it back and serializing writes it unchanged). The enum is
//! `#[non_exhaustive]`, so adding a variant later is not a breaking change; and the unknown
//! value is opaque, so code that matches on it today keeps working when it becomes a variant.

use std::fmt;

/// A value an [`open_enum!`](macro@crate::open_enum) does not know. Opaque on purpose: read it with
/// `as_str()` on the enum, and compare it as a string (a new variant may take it over).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(pub(crate) Box<str>);

impl UnknownValue {
    #[doc(hidden)]
    pub fn __new(raw: &str) -> Self {
        UnknownValue(raw.into())
    }

    /// The raw value as the provider sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Declares an open enum: variants with their wire strings, plus `Unknown(UnknownValue)`.
///
/// ```
/// rescind_core::open_enum! {
///     /// A shipment's status.
///     pub enum ShipmentStatus {
///         /// Booked, not yet confirmed.
///         Pending = "pending",
///         /// Confirmed.
///         Confirmed = "confirmed",
///     }
/// }
///
/// let s: ShipmentStatus = serde_json::from_str("\"confirmed\"").unwrap();
/// assert_eq!(s, ShipmentStatus::Confirmed);
/// let new: ShipmentStatus = serde_json::from_str("\"teleported\"").unwrap();
/// assert!(new.is_unknown());
/// assert_eq!(new.as_str(), "teleported");
/// assert_eq!(serde_json::to_string(&new).unwrap(), "\"teleported\"");
/// assert_eq!(ShipmentStatus::from("pending"), ShipmentStatus::Pending);
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A value this version does not know; `as_str()` gives the raw string.
            Unknown($crate::open_enum::UnknownValue),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as the provider writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(raw) => raw.as_str(),
                }
            }

            /// Whether the value is one this version does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Unknown(_))
            }

            /// The known value whose wire string is `raw`, or `None`.
            pub fn try_parse(raw: &str) -> Option<Self> {
                match raw {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(raw: &str) -> Self {
                Self::try_parse(raw)
                    .unwrap_or_else(|| $name::Unknown($crate::open_enum::UnknownValue::__new(raw)))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(raw: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(raw))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $($name::$variant => f.write_str(stringify!($variant)),)+
                    $name::Unknown(raw) => write!(f, "Unknown({:?})", raw.as_str()),
                }
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let raw: ::std::borrow::Cow<'de, str> =
                    $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                Ok(Self::from(raw.as_ref()))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::open_enum! {
        /// Test enum.
        pub enum Color {
            /// Red.
            Red = "RED",
            /// Green.
            Green = "GREEN",
        }
    }

    #[test]
    fn known_unknown_and_round_trip() {
        let c: Color = serde_json::from_str("\"RED\"").unwrap();
        assert_eq!(c, Color::Red);
        assert_eq!(format!("{c:?}"), "Red");
        let u: Color = serde_json::from_str("\"BLUE\"").unwrap();
        assert_eq!(u.as_str(), "BLUE");
        assert!(u.is_unknown() && !c.is_unknown());
        assert_eq!(format!("{u:?}"), "Unknown(\"BLUE\")");
        assert_eq!(serde_json::to_value(&u).unwrap(), serde_json::json!("BLUE"));
        assert_eq!(Color::try_parse("BLUE"), None);
        assert_eq!(Color::KNOWN.len(), 2);
        // Escaped strings (not borrowable) decode too.
        let e: Color = serde_json::from_str("\"GR\\u0045EN\"").unwrap();
        assert_eq!(e, Color::Green);
    }

    #[test]
    fn a_non_string_is_a_decode_error() {
        assert!(serde_json::from_str::<Color>("3").is_err());
    }
}
