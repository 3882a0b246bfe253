//! A strict percent-decoder for checking encoded path segments. Strict on purpose:
//! `percent_encoding::percent_decode` leaves a malformed escape as it is, so an encoder that
//! forgot to encode `%` itself (`%zz` sent as `%zz`) would decode back to its input and pass.

/// The bytes `s` encodes; panics on a `%` not followed by two hex digits.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| panic!("a malformed escape at byte {i} of `{s}`"));
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}
