//! Arta's documented rules, as pure functions: when a hold is allowed, how long it may last,
//! and the formats of what we send. Every check fails with an [`Error`] that names the field
//! and the rule, before anything is sent.
//!
//! # The hold window (a reading of ambiguous docs)
//!
//! Arta's description of `POST /shipment_exceptions` says the `hold_until` date "cannot be
//! greater than 30 days from the associated shipment's `created_at` timestamp", and the field's
//! description says it "must be fewer than 30 days from the shipment's `created_at` datetime".
//!
//! We read `hold_until` as the start (00:00) of that day and allow any date up to **the
//! shipment's creation date plus 30 days**, inclusive. For a shipment created at
//! `2021-01-21T17:22:08`, `2021-02-20` is the last day allowed: its start is 29 days and ~7
//! hours after creation, which is both "not greater than 30 days" and "fewer than 30 days".
//! `2021-02-21` starts more than 30 days after creation and is refused under both readings.
//! The readings differ only for a shipment created at exactly midnight, where we follow the
//! operation's own description ("cannot be greater than").
//!
//! Arta's timestamps are naive (no zone); the rule compares them as they are, without
//! converting to any zone.
//!
//! # A `hold_until` in the past (the docs are silent; our choice)
//!
//! The window above is the only rule Arta documents for the date. A date before today is
//! **not refused** here: Arta does not say it is invalid, its own request example
//! (`"hold_until": "2023-08-15"`, seed 001) is such a date today, and this crate refuses
//! before sending only what the documentation states. Whether Arta accepts it is Arta's to
//! say; its refusal, if any, is reported as it comes. The simulator (`rescind-sim`, module
//! `arta`) makes the same choice and accepts it, so the two agree.
//!
//! # Formats
//!
//! The format checks ([`check_money`], [`check_currency`], [`check_tag_name`],
//! [`check_tag_color`], [`check_subtype`], [`check_reference`]) follow the patterns of
//! Arta's reference. The requests this crate sends today carry none of those fields (a cancel
//! has no body; a hold carries a shipment id and a date), so they are offered for callers and
//! for future requests (creating hosted sessions); the shipment id and page are checked on
//! every request that carries them.

use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use rescind_core::{CancelRequest, Error, Provider, Refusal, Scope, Sent};

use crate::model::{Shipment, ShipmentStatus};

/// How many days after a shipment's creation date a hold may last, inclusive.
pub const HOLD_WINDOW_DAYS: i32 = 30;

/// The largest page Arta serves.
pub const MAX_PAGE_SIZE: u32 = 50;

/// The longest reference (`internal_reference`, `public_reference`) Arta accepts, in
/// characters.
pub const MAX_REFERENCE_CHARS: usize = 255;

/// Whether a shipment in `status` may be put on hold: only `pending` and `confirmed` (an
/// unknown status is not one of them, so it is refused).
pub fn hold_allowed_in(status: &ShipmentStatus) -> bool {
    matches!(status, ShipmentStatus::Pending | ShipmentStatus::Confirmed)
}

/// The last day a hold of a shipment created at `created_at` may run to: its creation date
/// plus [`HOLD_WINDOW_DAYS`] (see the [module docs](self) for why).
///
/// ```
/// use rescind_arta::rules::latest_hold_until;
/// use rescind_core::jiff::civil::{date, datetime};
/// let created = datetime(2021, 1, 21, 17, 22, 8, 818_747_000);
/// assert_eq!(latest_hold_until(created), date(2021, 2, 20));
/// ```
pub fn latest_hold_until(created_at: DateTime) -> Date {
    created_at.date().saturating_add(HOLD_WINDOW_DAYS.days())
}

/// Checks a `hold_until` date against the window of a shipment created at `created_at`. A
/// date before today is allowed (see the [module docs](self)).
pub fn check_hold_until(created_at: DateTime, hold_until: Date) -> Result<(), Error> {
    let latest = latest_hold_until(created_at);
    if hold_until > latest {
        return Err(Error::invalid_input(
            "hold_until",
            format!(
                "must be at most {HOLD_WINDOW_DAYS} days after the shipment's created_at \
                 ({created_at}): {latest} at the latest, got {hold_until}"
            ),
        )
        .with_reason(Refusal::HoldWindowPassed)
        .with_provider(Provider::Arta)
        .with_operation("create_shipment_exception"));
    }
    Ok(())
}

/// Checks that `shipment` may be put on hold until `hold_until`: its status is `pending` or
/// `confirmed` (otherwise [`ErrorKind::NotCancellable`](rescind_core::ErrorKind), nothing
/// sent), and the date is inside the window (otherwise
/// [`ErrorKind::InvalidInput`](rescind_core::ErrorKind) on `hold_until`).
pub fn check_hold(shipment: &Shipment, hold_until: Option<Date>) -> Result<(), Error> {
    if !hold_allowed_in(&shipment.status) {
        return Err(Error::not_cancellable(
            Sent::NotSent,
            format!(
                "shipment {} is `{}`; Arta accepts a hold only while a shipment is `pending` or `confirmed`",
                shipment.id, shipment.status
            ),
        )
        .with_reason(Refusal::NotCancellable)
        .with_provider(Provider::Arta)
        .with_operation("create_shipment_exception"));
    }
    match hold_until {
        Some(date) => check_hold_until(shipment.created_at, date),
        None => Ok(()),
    }
}

/// Checks a cancel request without the network (what [`Canceller::check`] runs): a whole cancel
/// names a hosted session by its integer id ([`parse_hosted_session_id`]), a hold names a
/// shipment ([`check_shipment_id`]); item cancels are not offered. The hold's date window
/// needs the shipment's `created_at`, so it is checked when sending.
///
/// [`Canceller::check`]: rescind_core::Canceller::check
pub fn check_request(request: &CancelRequest) -> Result<(), Error> {
    let checked = match &request.scope {
        Scope::Whole => parse_hosted_session_id("target", &request.target).map(drop),
        Scope::Hold { .. } => check_shipment_id("target", &request.target),
        Scope::Items(_) => Err(Error::unsupported(
            Provider::Arta,
            "item cancels: a hosted session is cancelled whole",
        )),
        other => Err(Error::unsupported(
            Provider::Arta,
            format!("the `{}` scope", other.as_str()),
        )),
    };
    checked.map_err(|e| e.with_provider(Provider::Arta))
}

/// Checks a page request: `page` from 1, `page_size` from 1 to [`MAX_PAGE_SIZE`].
pub fn check_page(page: u32, page_size: u32) -> Result<(), Error> {
    if page == 0 {
        return Err(Error::invalid_input("page", "must be at least 1"));
    }
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(Error::invalid_input(
            "page_size",
            format!("must be from 1 to {MAX_PAGE_SIZE}, got {page_size}"),
        ));
    }
    Ok(())
}

/// Checks a shipment id we send in a body: not empty, not blank, at most 255 characters, no
/// control characters. (Arta's ids are UUIDs, but the docs only say "string", so any other
/// form is left for Arta to judge.)
pub fn check_shipment_id(field: &str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    if id.chars().count() > MAX_REFERENCE_CHARS || id.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            "must be at most 255 characters without control characters",
        ));
    }
    Ok(())
}

/// Parses a hosted session id: digits only (no sign, no spaces), fitting 64 bits.
pub fn parse_hosted_session_id(field: &str, id: &str) -> Result<u64, Error> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_input(
            field,
            "must be an Arta hosted session id: an integer of digits only",
        ));
    }
    id.parse::<u64>()
        .map_err(|_| Error::invalid_input(field, "must be an integer that fits 64 bits"))
}

/// Checks a money amount: `^(0|([1-9]+[0-9]*))(\.[0-9]{1,2})?$` (no sign, no leading zero,
/// at most two decimals).
pub fn check_money(field: &str, value: &str) -> Result<(), Error> {
    let (int, frac) = match value.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (value, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = match frac {
        None => true,
        Some(f) => (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()),
    };
    if int_ok && frac_ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            "must be an amount like `100` or `100.50`: digits without a leading zero, at most 2 decimals",
        ))
    }
}

/// Checks an ISO 4217 currency code: `^[A-Z]{3}$`.
pub fn check_currency(field: &str, value: &str) -> Result<(), Error> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            "must be three upper-case letters (ISO 4217)",
        ))
    }
}

/// Checks a tag name: `^[a-z0-9-]{1,50}$`.
pub fn check_tag_name(field: &str, value: &str) -> Result<(), Error> {
    let ok = (1..=50).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            "must be 1 to 50 lower-case letters, digits or dashes",
        ))
    }
}

/// Checks a tag colour: `^[0-9A-F]{6}$` (upper-case hex, no `#`).
pub fn check_tag_color(field: &str, value: &str) -> Result<(), Error> {
    let ok = value.len() == 6
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            "must be six upper-case hex digits without `#`",
        ))
    }
}

/// Checks an object subtype id: `^[0-9a-z_]{1,56}$`.
pub fn check_subtype(field: &str, value: &str) -> Result<(), Error> {
    let ok = (1..=56).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            "must be 1 to 56 lower-case letters, digits or underscores",
        ))
    }
}

/// Checks a reference (`internal_reference`, `public_reference`): at most 255 characters.
pub fn check_reference(field: &str, value: &str) -> Result<(), Error> {
    if value.chars().count() > MAX_REFERENCE_CHARS {
        Err(Error::invalid_input(
            field,
            format!("must be at most {MAX_REFERENCE_CHARS} characters"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, datetime};
    use rescind_core::ErrorKind;

    use super::*;

    #[test]
    fn check_request_applies_the_rules_that_need_no_network() {
        assert!(check_request(&CancelRequest::whole("42")).is_ok());
        assert!(check_request(&CancelRequest::hold("6b12c76a", None)).is_ok());
        for bad in [
            CancelRequest::whole("abc"),
            CancelRequest::whole("-1"),
            CancelRequest::hold(" ", None),
        ] {
            let err = check_request(&bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert_eq!(err.sent(), Sent::NotSent);
        }
        let items = CancelRequest::new("42", Scope::Items(vec![]));
        assert_eq!(
            check_request(&items).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }

    fn shipment(status: &str, created_at: DateTime) -> Shipment {
        serde_json::from_value(serde_json::json!({
            "id": "s-1",
            "status": status,
            "created_at": created_at.to_string(),
        }))
        .unwrap()
    }

    const CREATED: DateTime = datetime(2021, 1, 21, 17, 22, 8, 818_747_000);

    #[test]
    fn window_boundary_days_29_30_31() {
        let day = |n: i32| date(2021, 1, 21).saturating_add(n.days());
        assert!(check_hold_until(CREATED, day(29)).is_ok());
        assert!(check_hold_until(CREATED, day(30)).is_ok());
        let err = check_hold_until(CREATED, day(31)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.field(), Some("hold_until"));
        assert!(
            err.to_string()
                .contains("2021-02-20 at the latest, got 2021-02-21"),
            "{err}"
        );
        assert_eq!(day(30), date(2021, 2, 20));
    }

    #[test]
    fn window_counts_calendar_days_across_month_and_leap_day() {
        let created = datetime(2024, 2, 10, 0, 0, 0, 0);
        assert_eq!(latest_hold_until(created), date(2024, 3, 11));
        let late = datetime(2023, 12, 31, 23, 59, 59, 999_999_000);
        assert_eq!(latest_hold_until(late), date(2024, 1, 30));
    }

    #[test]
    fn status_rule() {
        for ok in ["pending", "confirmed"] {
            assert!(check_hold(&shipment(ok, CREATED), None).is_ok(), "{ok}");
        }
        for refused in [
            "collected",
            "in_transit",
            "completed",
            "cancelled",
            "teleported",
        ] {
            let err = check_hold(&shipment(refused, CREATED), None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotCancellable, "{refused}");
            assert_eq!(err.sent(), Sent::NotSent);
            assert!(err.to_string().contains(refused), "{err}");
        }
    }

    #[test]
    fn status_is_checked_before_the_date() {
        let err = check_hold(&shipment("completed", CREATED), Some(date(2030, 1, 1))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotCancellable);
        let err = check_hold(&shipment("pending", CREATED), Some(date(2030, 1, 1))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn naive_timestamps_keep_microseconds() {
        let s = shipment("pending", CREATED);
        assert_eq!(s.created_at.subsec_nanosecond(), 818_747_000);
        let t: DateTime = serde_json::from_str("\"2021-01-21T17:22:08.818747\"").unwrap();
        assert_eq!(t, CREATED);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2021-01-21T17:22:08.818747\""
        );
    }

    #[test]
    fn pages() {
        assert!(check_page(1, 1).is_ok());
        assert!(check_page(3, 50).is_ok());
        assert_eq!(check_page(0, 20).unwrap_err().field(), Some("page"));
        assert_eq!(check_page(1, 0).unwrap_err().field(), Some("page_size"));
        assert_eq!(check_page(1, 51).unwrap_err().field(), Some("page_size"));
    }

    #[test]
    fn hosted_session_ids() {
        assert_eq!(parse_hosted_session_id("target", "42").unwrap(), 42);
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "4.2",
            "abc",
            "99999999999999999999999",
        ] {
            let err = parse_hosted_session_id("target", bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(err.field(), Some("target"));
        }
    }

    #[test]
    fn shipment_ids() {
        assert!(check_shipment_id("shipment_id", "5baff45a-281d-416e-9310-a4a7c637952e").is_ok());
        assert!(check_shipment_id("shipment_id", "").is_err());
        assert!(check_shipment_id("shipment_id", "  ").is_err());
        assert!(check_shipment_id("shipment_id", "a\nb").is_err());
        assert!(check_shipment_id("shipment_id", &"a".repeat(256)).is_err());
    }

    #[test]
    fn money() {
        for ok in ["0", "1", "100", "100.0", "100.00", "0.5", "10.25"] {
            assert!(check_money("value", ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "01", "00", "1.", ".5", "1.234", "-1", "1e3", "1,00", "1.0a", "0.123",
        ] {
            assert!(check_money("value", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn currency() {
        assert!(check_currency("value_currency", "USD").is_ok());
        for bad in ["usd", "US", "USDD", "U5D", ""] {
            assert!(check_currency("value_currency", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_names_and_colors() {
        assert!(check_tag_name("tags[0]", "vip-2024").is_ok());
        assert!(check_tag_name("tags[0]", &"a".repeat(50)).is_ok());
        for bad in ["", "VIP", "a_b", "a b", &"a".repeat(51)] {
            assert!(check_tag_name("tags[0]", bad).is_err(), "{bad}");
        }
        assert!(check_tag_color("color", "FF00A9").is_ok());
        for bad in ["ff00a9", "#FF00A", "FF00A", "FF00A90", "GG0000"] {
            assert!(check_tag_color("color", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subtypes_and_references() {
        assert!(check_subtype("subtype", "painting_unframed").is_ok());
        assert!(check_subtype("subtype", &"a".repeat(56)).is_ok());
        for bad in ["", "Painting", "a-b", &"a".repeat(57)] {
            assert!(check_subtype("subtype", bad).is_err(), "{bad}");
        }
        assert!(check_reference("public_reference", &"é".repeat(255)).is_ok());
        let err = check_reference("public_reference", &"é".repeat(256)).unwrap_err();
        assert_eq!(err.field(), Some("public_reference"));
    }
}
