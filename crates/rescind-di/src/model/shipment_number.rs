//! The shipment ("message") number that names a Di order in the cancel path.

use std::fmt;

use rescind_core::Error;

/// The GS1 application identifier (401, "global identification number for consignment") that
/// Di's booking answer puts in front of the shipment number: `(401)70712190172720651`.
pub const GS1_SHIPMENT_PREFIX: &str = "(401)";

/// The longest shipment number accepted: GS1 allows 30 characters after AI (401).
const MAX_LEN: usize = 30;

/// A Di shipment ("message") number such as `70724761617883184`, checked before anything is
/// sent.
///
/// Di's booking answer writes it with the GS1 prefix (`(401)70712190172720651`), while the
/// booking/v-1 order paths take the bare number; [`ShipmentNumber::parse`] accepts both and
/// strips the prefix. Anything else (empty, spaces, letters, another GS1 prefix such as a
/// tracking reference's `(00)`) is refused with [`ErrorKind::InvalidInput`](rescind_core::ErrorKind).
///
/// ```
/// use rescind_di::ShipmentNumber;
/// assert_eq!(ShipmentNumber::parse("70724761617883184").unwrap().as_str(), "70724761617883184");
/// assert_eq!(ShipmentNumber::parse("(401)70724761617883184").unwrap().as_str(), "70724761617883184");
/// assert!(ShipmentNumber::parse("(00)370724760010119754").is_err());
/// assert!(ShipmentNumber::parse("7072476 1617883184").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShipmentNumber(String);

impl ShipmentNumber {
    /// Checks `input` (with or without the `(401)` prefix) and keeps the bare number.
    pub fn parse(input: &str) -> Result<ShipmentNumber, Error> {
        Self::parse_field("identifier", input)
    }

    /// Like [`ShipmentNumber::parse`], naming `field` in the error.
    pub(crate) fn parse_field(field: &str, input: &str) -> Result<ShipmentNumber, Error> {
        let bare = input.strip_prefix(GS1_SHIPMENT_PREFIX).unwrap_or(input);
        // Di's own numbers are digits only; we refuse anything else rather than send an id
        // the API would read differently (or a path-like value).
        if bare.is_empty() {
            return Err(Error::invalid_input(
                field,
                "must be a Di shipment number such as 70724761617883184 (optionally with the GS1 prefix (401)), not empty",
            ));
        }
        if !bare.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(
                field,
                format!(
                    "must be a Di shipment number: digits only, such as 70724761617883184, optionally with the GS1 prefix (401); got {:?}",
                    shown(input)
                ),
            ));
        }
        if bare.len() > MAX_LEN {
            return Err(Error::invalid_input(
                field,
                format!(
                    "must be a Di shipment number of at most {MAX_LEN} digits; got {} digits",
                    bare.len()
                ),
            ));
        }
        Ok(ShipmentNumber(bare.to_owned()))
    }

    /// The bare number, as it goes into the path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with the GS1 prefix, as Di's booking answer writes it.
    pub fn to_gs1(&self) -> String {
        format!("{GS1_SHIPMENT_PREFIX}{}", self.0)
    }
}

/// At most 40 characters of a refused input, so a pasted blob does not flood the message.
fn shown(input: &str) -> String {
    let mut s: String = input.chars().take(40).collect();
    if input.chars().count() > 40 {
        s.push('…');
    }
    s
}

impl fmt::Display for ShipmentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ShipmentNumber {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShipmentNumber::parse(s)
    }
}

impl AsRef<str> for ShipmentNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rescind_core::{ErrorKind, Sent};

    #[test]
    fn accepts_bare_and_prefixed_numbers() {
        for input in ["70724761617883184", "(401)70724761617883184"] {
            let n = ShipmentNumber::parse(input).unwrap();
            assert_eq!(n.as_str(), "70724761617883184");
            assert_eq!(n.to_gs1(), "(401)70724761617883184");
        }
    }

    #[test]
    fn refuses_everything_else_before_sending() {
        for input in [
            "",
            "(401)",
            " 70724761617883184",
            "70724761617883184 ",
            "(00)370724760010119754",
            "(402)70724761617883184",
            "401)70724761617883184",
            "abc",
            "../1",
            "7072476161788318４", // a full-width digit
            "1234567890123456789012345678901",
        ] {
            let err = ShipmentNumber::parse(input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}");
            assert_eq!(err.sent(), Sent::NotSent);
            assert_eq!(err.field(), Some("identifier"));
            assert!(err.to_string().contains("shipment number"), "{err}");
        }
    }

    #[test]
    fn thirty_digits_is_the_limit() {
        assert!(ShipmentNumber::parse(&"1".repeat(30)).is_ok());
        assert!(ShipmentNumber::parse(&"1".repeat(31)).is_err());
    }
}
