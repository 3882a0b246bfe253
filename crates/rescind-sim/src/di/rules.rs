//! The simulator's own reading of Di's cancel rules (written apart from `rescind_di::rules`, so
//! that a bug there cannot hide one here).
//!
//! Di's Cancel Order API page: "The shipment will be defined as in transit from the day before
//! desired delivery date. Shipment without desired delivery date will be in transit immediately
//! after booking." Pick-up shipments: "usually 23:00 the day before pick-up", and cancellable
//! after a failed pick-up attempt. Days are Oslo days (`Europe/Oslo`, with summer time).

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use super::{CarrierStatus, DiOrder};

/// Why a cancel is refused, or that it may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The cancel may be applied.
    Cancellable,
    /// `ediStatus` is `CANCELLED` already.
    AlreadyCancelled,
    /// The parcel was delivered (a final status).
    FinalStatus,
    /// In transit: by the date rule, the pick-up cut-off, or a carrier scan.
    InTransit(String),
}

/// The start of Oslo day `date`, as an instant.
fn oslo_midnight(date: Date, tz: &TimeZone) -> Option<Timestamp> {
    date.to_zoned_datetime(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// When a delivery shipment goes in transit: Oslo midnight starting the day before `desired`.
pub(crate) fn transit_start(desired: Date, tz: &TimeZone) -> Option<Timestamp> {
    oslo_midnight(desired.yesterday().ok()?, tz)
}

/// The end (exclusive) of the cancel window of a pick-up on `pickup`: 23:00 Oslo the day before.
pub(crate) fn pickup_cut_off(pickup: Date, tz: &TimeZone) -> Option<Timestamp> {
    let day_before = pickup.yesterday().ok()?;
    day_before
        .to_datetime(Time::constant(23, 0, 0, 0))
        .to_zoned_datetime(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// Applies the rules to `order` at `now`. Order of checks: cancelled, delivered, a failed
/// pick-up (cancellable), a carrier scan, the pick-up cut-off, the delivery date rule.
pub(crate) fn verdict(order: &DiOrder, now: Timestamp, tz: &TimeZone) -> Verdict {
    if order.edi_status == super::EdiStatus::Cancelled {
        return Verdict::AlreadyCancelled;
    }
    match order.carrier_status {
        CarrierStatus::Delivered => return Verdict::FinalStatus,
        _ if order.pickup_failed => return Verdict::Cancellable,
        CarrierStatus::InTransit => {
            return Verdict::InTransit("the carrier scanned the parcel: it is in transit".into());
        }
        CarrierStatus::Booked => {}
    }
    if let Some(pickup) = &order.pickup_details {
        return match pickup_cut_off(pickup.pickup_date, tz) {
            Some(cut) if now < cut => Verdict::Cancellable,
            Some(cut) => Verdict::InTransit(format!(
                "pick-up shipments can be cancelled until 23:00 Oslo time the day before the pick-up ({cut})"
            )),
            None => Verdict::InTransit("the pick-up date is out of range".into()),
        };
    }
    match order.desired_delivery_date {
        None => Verdict::InTransit(
            "no desired delivery date: in transit immediately after booking".into(),
        ),
        Some(date) => match transit_start(date, tz) {
            Some(start) if now < start => Verdict::Cancellable,
            Some(start) => Verdict::InTransit(format!(
                "in transit from the day before the desired delivery date ({start})"
            )),
            None => Verdict::InTransit("the desired delivery date is out of range".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn oslo() -> TimeZone {
        TimeZone::get("Europe/Oslo").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn transit_starts_at_oslo_midnight_across_both_changes() {
        let tz = oslo();
        // Winter: UTC+1.
        assert_eq!(
            transit_start(date(2026, 1, 15), &tz),
            Some(ts("2026-01-13T23:00:00Z"))
        );
        // Summer: UTC+2.
        assert_eq!(
            transit_start(date(2026, 7, 15), &tz),
            Some(ts("2026-07-13T22:00:00Z"))
        );
        // Spring change on 2026-03-29 (02:00 -> 03:00): that day starts in CET, the next in CEST.
        assert_eq!(
            transit_start(date(2026, 3, 30), &tz),
            Some(ts("2026-03-28T23:00:00Z"))
        );
        assert_eq!(
            transit_start(date(2026, 3, 31), &tz),
            Some(ts("2026-03-29T22:00:00Z"))
        );
        // Autumn change on 2026-10-25 (03:00 -> 02:00): that day starts in CEST, the next in CET.
        assert_eq!(
            transit_start(date(2026, 10, 26), &tz),
            Some(ts("2026-10-24T22:00:00Z"))
        );
        assert_eq!(
            transit_start(date(2026, 10, 27), &tz),
            Some(ts("2026-10-25T23:00:00Z"))
        );
    }

    #[test]
    fn pickup_cut_off_is_23_oslo_the_day_before() {
        let tz = oslo();
        assert_eq!(
            pickup_cut_off(date(2026, 1, 15), &tz),
            Some(ts("2026-01-14T22:00:00Z"))
        );
        assert_eq!(
            pickup_cut_off(date(2026, 3, 30), &tz),
            Some(ts("2026-03-29T21:00:00Z"))
        );
        assert_eq!(
            pickup_cut_off(date(2026, 10, 26), &tz),
            Some(ts("2026-10-25T22:00:00Z"))
        );
    }
}
