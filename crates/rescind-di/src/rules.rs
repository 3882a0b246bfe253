//! What Di's Cancel API page says is allowed, as pure functions of the order and the time.
//!
//! - "The shipment will be defined as in transit from the day before desired delivery date.
//!   Shipment without desired delivery date will be in transit immediately after booking."
//! - "It is not possible to cancel a shipment in transit."
//! - Pick-up shipments (C2C / C2B) have a later cut-off, "usually 23:00 the day before
//!   pick-up".
//!
//! Days are Norwegian days: midnight and 23:00 are read in `Europe/Oslo`, with its summer time,
//! so the cut-off instant moves by an hour between winter and summer.
//!
//! Di also says a pick-up shipment may be cancelled after a failed pick-up attempt; the details
//! API does not show such an attempt, so these rules cannot see it, and refuse.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use rescind_core::{CancelRequest, Error, Provider, Scope};

use crate::model::{OrderDetails, ShipmentNumber};

/// The time zone Di's days are counted in.
pub const TIME_ZONE: &str = "Europe/Oslo";

/// `Europe/Oslo` (bundled with the crate: works offline).
pub fn oslo() -> Result<TimeZone, Error> {
    // Looked up once per process (a `TimeZone` is a cheap shared handle), not per rule check.
    static OSLO: std::sync::OnceLock<Result<TimeZone, String>> = std::sync::OnceLock::new();
    OSLO.get_or_init(|| TimeZone::get(TIME_ZONE).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::config(format!("the time zone {TIME_ZONE} is not available: {e}")))
}

/// The instant a delivery shipment goes in transit: midnight in Oslo at the start of the day
/// before `desired_delivery_date`.
pub fn transit_start(desired_delivery_date: Date) -> Result<Timestamp, Error> {
    let day_before = desired_delivery_date.yesterday().map_err(|e| {
        Error::invalid_input("desired_delivery_date", format!("is out of range: {e}"))
    })?;
    at(day_before, Time::midnight())
}

/// Whether a delivery shipment is in transit at `now`: from the day before its desired delivery
/// date; without one, immediately after booking (always).
pub fn is_in_transit(desired_delivery_date: Option<Date>, now: Timestamp) -> Result<bool, Error> {
    match desired_delivery_date {
        None => Ok(true),
        Some(date) => Ok(now >= transit_start(date)?),
    }
}

/// The last instant a pick-up shipment may be cancelled: 23:00 Oslo time the day before the
/// pick-up (exclusive).
pub fn pickup_cancel_deadline(pickup_date: Date) -> Result<Timestamp, Error> {
    let day_before = pickup_date
        .yesterday()
        .map_err(|e| Error::invalid_input("pickup_date", format!("is out of range: {e}")))?;
    at(day_before, Time::constant(23, 0, 0, 0))
}

/// Whether a pick-up shipment may still be cancelled at `now`.
pub fn is_pickup_cancellable(pickup_date: Date, now: Timestamp) -> Result<bool, Error> {
    Ok(now < pickup_cancel_deadline(pickup_date)?)
}

/// `date` at `time` in Oslo. In a summer-time gap jiff moves forward, in an overlap it takes the
/// earlier instant; midnight and 23:00 are in neither in Oslo, which changes at 02:00/03:00.
fn at(date: Date, time: Time) -> Result<Timestamp, Error> {
    let zoned: ZonedDateTime = date
        .to_datetime(time)
        .to_zoned_datetime(oslo()?)
        .map_err(|e| {
            Error::invalid_input("date", format!("cannot be placed in {TIME_ZONE}: {e}"))
        })?;
    Ok(zoned.timestamp())
}

/// What the rules say about cancelling an order now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cancellability {
    /// The order may be cancelled until `until` (exclusive).
    Cancellable {
        /// The cut-off.
        until: Timestamp,
    },
    /// Di reports the order as cancelled already.
    AlreadyCancelled,
    /// The rules refuse the cancel; `reason` says why, for a person.
    NotCancellable {
        /// Why.
        reason: String,
    },
}

/// Applies the rules to an order read from the details API at `now`.
///
/// Order of the checks: `ediStatus` `CANCELLED` first (already cancelled, not an error); then a
/// pick-up shipment (with a pick-up date) by its 23:00 cut-off; else a delivery shipment by its
/// desired delivery date. `ediStatus` otherwise does not decide: Di's current page bases the
/// rule on transit, not on export.
pub fn cancellability(details: &OrderDetails, now: Timestamp) -> Result<Cancellability, Error> {
    if details.is_cancelled() {
        return Ok(Cancellability::AlreadyCancelled);
    }
    if let Some(pickup) = details.pickup_details.as_ref().and_then(|p| p.pickup_date) {
        let deadline = pickup_cancel_deadline(pickup)?;
        return Ok(if now < deadline {
            Cancellability::Cancellable { until: deadline }
        } else {
            Cancellability::NotCancellable {
                reason: format!(
                    "the pick-up shipment could be cancelled until 23:00 Oslo time the day before the pick-up on {pickup} ({}); contact the carrier's customer service to stop it",
                    oslo_text(deadline)?
                ),
            }
        });
    }
    match details.desired_delivery_date {
        None => Ok(Cancellability::NotCancellable {
            reason: "the shipment has no desired delivery date, so Di counts it as in transit from booking; contact the carrier's customer service to stop it".into(),
        }),
        Some(date) => {
            let start = transit_start(date)?;
            Ok(if now < start {
                Cancellability::Cancellable { until: start }
            } else {
                Cancellability::NotCancellable {
                    reason: format!(
                        "the shipment is in transit since {} (the day before its desired delivery date {date}); contact the carrier's customer service to stop it",
                        oslo_text(start)?
                    ),
                }
            })
        }
    }
}

fn oslo_text(ts: Timestamp) -> Result<String, Error> {
    Ok(ts
        .to_zoned_datetime(oslo()?)
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string())
}

/// Checks a cancel request without the network (what [`Canceller::check`] runs): Di cancels
/// whole shipments only, named by a shipment number (17 digits, see [`ShipmentNumber`]).
/// Whether the shipment may still be cancelled depends on its dates, read when sending.
///
/// [`Canceller::check`]: rescind_core::Canceller::check
pub fn check_request(request: &CancelRequest) -> Result<(), Error> {
    match &request.scope {
        Scope::Whole => ShipmentNumber::parse_field("target", &request.target)
            .map(drop)
            .map_err(|e| e.with_provider(Provider::Di)),
        Scope::Items(_) => Err(Error::unsupported(
            Provider::Di,
            "cancelling some items (a Di cancel applies to every parcel of the shipment)",
        )),
        Scope::Hold { .. } => Err(Error::unsupported(Provider::Di, "holding a shipment")),
        other => Err(Error::unsupported(
            Provider::Di,
            format!("the scope `{}`", other.as_str()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn check_request_wants_a_shipment_number_and_a_whole_cancel() {
        use rescind_core::ErrorKind;
        check_request(&CancelRequest::whole("70724760000000101")).unwrap();
        for bad in ["", "abc", "12a"] {
            let err = check_request(&CancelRequest::whole(bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        let hold = CancelRequest::hold("70724760000000101", None);
        assert_eq!(
            check_request(&hold).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn details(json: serde_json::Value) -> OrderDetails {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn oslo_is_available_offline() {
        assert!(oslo().is_ok());
    }

    #[test]
    fn transit_starts_at_oslo_midnight_the_day_before_in_winter() {
        // Winter (CET, UTC+1): desired 2025-01-15 → in transit from 2025-01-14 00:00 Oslo.
        let d = Some(date(2025, 1, 15));
        assert_eq!(
            transit_start(date(2025, 1, 15)).unwrap(),
            ts("2025-01-13T23:00:00Z")
        );
        assert!(!is_in_transit(d, ts("2025-01-13T22:59:59Z")).unwrap());
        assert!(is_in_transit(d, ts("2025-01-13T23:00:00Z")).unwrap());
        // 23:30 UTC is already 00:30 the next day in Oslo: a UTC reading would get this wrong.
        assert!(is_in_transit(d, ts("2025-01-13T23:30:00Z")).unwrap());
    }

    #[test]
    fn transit_starts_at_oslo_midnight_in_summer() {
        // Summer (CEST, UTC+2): desired 2025-07-10 → from 2025-07-09 00:00 = 2025-07-08 22:00 UTC.
        let d = Some(date(2025, 7, 10));
        assert!(!is_in_transit(d, ts("2025-07-08T21:59:59Z")).unwrap());
        assert!(is_in_transit(d, ts("2025-07-08T22:00:00Z")).unwrap());
    }

    #[test]
    fn around_the_spring_change() {
        // Oslo goes from UTC+1 to UTC+2 at 2025-03-30 01:00 UTC.
        // Day before = 2025-03-30 (the change day): midnight is still CET.
        assert_eq!(
            transit_start(date(2025, 3, 31)).unwrap(),
            ts("2025-03-29T23:00:00Z")
        );
        // Day before = 2025-03-31: midnight is CEST.
        assert_eq!(
            transit_start(date(2025, 4, 1)).unwrap(),
            ts("2025-03-30T22:00:00Z")
        );
        // Day before = 2025-03-29: CET.
        assert_eq!(
            transit_start(date(2025, 3, 30)).unwrap(),
            ts("2025-03-28T23:00:00Z")
        );
        // Pick-up on 2025-03-31: cut-off 2025-03-30 23:00 CEST = 21:00 UTC.
        assert_eq!(
            pickup_cancel_deadline(date(2025, 3, 31)).unwrap(),
            ts("2025-03-30T21:00:00Z")
        );
        // Pick-up on 2025-03-30: cut-off 2025-03-29 23:00 CET = 22:00 UTC.
        assert_eq!(
            pickup_cancel_deadline(date(2025, 3, 30)).unwrap(),
            ts("2025-03-29T22:00:00Z")
        );
    }

    #[test]
    fn around_the_autumn_change() {
        // Oslo goes from UTC+2 back to UTC+1 at 2025-10-26 01:00 UTC.
        assert_eq!(
            transit_start(date(2025, 10, 27)).unwrap(),
            ts("2025-10-25T22:00:00Z")
        );
        assert_eq!(
            transit_start(date(2025, 10, 28)).unwrap(),
            ts("2025-10-26T23:00:00Z")
        );
        let d = Some(date(2025, 10, 28));
        assert!(!is_in_transit(d, ts("2025-10-26T22:59:59Z")).unwrap());
        assert!(is_in_transit(d, ts("2025-10-26T23:00:00Z")).unwrap());
        // Pick-up on 2025-10-27: cut-off 2025-10-26 23:00 CET = 22:00 UTC.
        assert_eq!(
            pickup_cancel_deadline(date(2025, 10, 27)).unwrap(),
            ts("2025-10-26T22:00:00Z")
        );
        // Pick-up on 2025-10-26: cut-off 2025-10-25 23:00 CEST = 21:00 UTC.
        assert_eq!(
            pickup_cancel_deadline(date(2025, 10, 26)).unwrap(),
            ts("2025-10-25T21:00:00Z")
        );
    }

    #[test]
    fn without_a_desired_date_it_is_in_transit_at_once() {
        assert!(is_in_transit(None, ts("2000-01-01T00:00:00Z")).unwrap());
    }

    #[test]
    fn pickup_cut_off_is_23_oslo_the_day_before() {
        let p = date(2025, 1, 15);
        assert!(is_pickup_cancellable(p, ts("2025-01-14T21:59:59Z")).unwrap());
        assert!(!is_pickup_cancellable(p, ts("2025-01-14T22:00:00Z")).unwrap());
    }

    #[test]
    fn cancellability_of_orders() {
        let now = ts("2025-01-14T12:00:00Z");
        let cancelled = details(serde_json::json!({"shipmentId": "1", "ediStatus": "CANCELLED"}));
        assert_eq!(
            cancellability(&cancelled, now).unwrap(),
            Cancellability::AlreadyCancelled
        );

        let later = details(
            serde_json::json!({"shipmentId": "1", "ediStatus": "EXPORT_OK", "desiredDeliveryDate": "2025-01-20"}),
        );
        assert_eq!(
            cancellability(&later, now).unwrap(),
            Cancellability::Cancellable {
                until: ts("2025-01-18T23:00:00Z")
            }
        );

        let tomorrow =
            details(serde_json::json!({"shipmentId": "1", "desiredDeliveryDate": "20250115"}));
        let Cancellability::NotCancellable { reason } = cancellability(&tomorrow, now).unwrap()
        else {
            panic!("in transit expected");
        };
        assert!(
            reason.contains("in transit since 2025-01-14 00:00 CET"),
            "{reason}"
        );

        let undated = details(serde_json::json!({"shipmentId": "1"}));
        assert!(matches!(
            cancellability(&undated, now).unwrap(),
            Cancellability::NotCancellable { .. }
        ));

        // A pick-up shipment uses its own cut-off even without a desired delivery date.
        let pickup = details(
            serde_json::json!({"shipmentId": "1", "pickupDetails": {"pickupDate": "2025-01-15"}}),
        );
        assert_eq!(
            cancellability(&pickup, now).unwrap(),
            Cancellability::Cancellable {
                until: ts("2025-01-14T22:00:00Z")
            }
        );
        let Cancellability::NotCancellable { reason } =
            cancellability(&pickup, ts("2025-01-14T22:00:00Z")).unwrap()
        else {
            panic!("past the cut-off expected");
        };
        assert!(reason.contains("23:00 Oslo time"), "{reason}");
    }
}
