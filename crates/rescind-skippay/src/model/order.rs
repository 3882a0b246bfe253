//! The order of an application, as Skip Pay returns it (`OrderResponse` and, with
//! `applicationInfo`, `OrderExtendedResponse`).

use rescind_core::jiff::Timestamp;
use rescind_core::jiff::civil::Date;
use rescind_core::open_enum;
use rescind_core::rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::application::ApplicationInfo;
use super::common::{Address, Amount, FileRef, ItemType, VatAmount};
use rescind_core::wire::{Skipped, Tolerant, null_as_default};

open_enum! {
    /// The delivery state of an order or of one item (`OrderDeliveryState`).
    pub enum OrderState {
        /// Not yet sent.
        Processing = "PROCESSING",
        /// Marked as sent.
        Sent = "SENT",
        /// Marked as delivered.
        Delivered = "DELIVERED",
        /// Marked as returned.
        Returned = "RETURNED",
        /// Marked as cancelled: will never be delivered.
        Cancelled = "CANCELLED",
    }
}

open_enum! {
    /// How the order reaches the customer.
    pub enum DeliveryType {
        /// By a carrier, named in [`Order::delivery_carrier`].
        DeliveryCarrier = "DELIVERY_CARRIER",
        /// Picked up at a branch.
        PersonalBranch = "PERSONAL_BRANCH",
        /// Picked up at a partner.
        PersonalPartner = "PERSONAL_PARTNER",
        /// Delivered online.
        Online = "ONLINE",
    }
}

open_enum! {
    /// The sales channel the order came through.
    pub enum Channel {
        /// The e-shop (the default).
        Eshop = "ESHOP",
        /// A branch.
        Branch = "BRANCH",
        /// A franchise.
        Franchise = "FRANCHISE",
        /// By telephone.
        Telephone = "TELEPHONE",
        /// Internal.
        Internal = "INTERNAL",
    }
}

open_enum! {
    /// A carrier Skip Pay knows by id (`carrierId`).
    pub enum CarrierId {
        /// Airway.
        Airway = "AIRWAY",
        /// Czech Post, to hand.
        CzPostHand = "CZ_POST_HAND",
        /// Czech Post, to a post office.
        CzPostOffice = "CZ_POST_OFFICE",
        /// Czech Post, other.
        CzPostOther = "CZ_POST_OTHER",
        /// Dachser.
        Dachser = "DACHSER",
        /// DB Schenker.
        DbSchenker = "DB_SCHENKER",
        /// Deutsche Post DHL.
        DeutschePostDhl = "DEUTSCHE_POST_DHL",
        /// DHL.
        Dhl = "DHL",
        /// DHL Express.
        DhlExpress = "DHL_EXPRESS",
        /// DHL Freight.
        DhlFreight = "DHL_FREIGHT",
        /// DPD.
        Dpd = "DPD",
        /// DSV.
        Dsv = "DSV",
        /// FedEx.
        Fedex = "FEDEX",
        /// FOFR.
        Fofr = "FOFR",
        /// Gebrüder Weiss.
        GebruderWeiss = "GEBRUDER_WEISS",
        /// Geis.
        Geis = "GEIS",
        /// GLS.
        Gls = "GLS",
        /// HDS Comfort.
        HdsComfort = "HDS_COMFORT",
        /// HDS Standard.
        HdsStandard = "HDS_STANDARD",
        /// In Time.
        InTime = "IN_TIME",
        /// Japo Transport.
        JapoTransport = "JAPO_TRANSPORT",
        /// Liftago.
        Liftago = "LIFTAGO",
        /// A local courier.
        LocalCourier = "LOCAL_COURIER",
        /// Magyar Posta.
        MagyarPosta = "MAGYAR_POSTA",
        /// Mall delivery.
        MallDelivery = "MALL_DELIVERY",
        /// Mall deposit.
        MallDeposit = "MALL_DEPOSIT",
        /// Messenger.
        Messenger = "MESSENGER",
        /// Pošta bez hranic.
        PostaBezHranic = "POSTA_BEZ_HRANIC",
        /// PPL.
        Ppl = "PPL",
        /// PPL Parcel Connect.
        PplParcelConnect = "PPL_PARCEL_CONNECT",
        /// Raben.
        Raben = "RABEN",
        /// Sameday.
        Sameday = "SAMEDAY",
        /// SDS.
        Sds = "SDS",
        /// Slovak Parcel Service.
        SlovakParcelService = "SLOVAK_PARCEL_SERVICE",
        /// Slovenská pošta.
        SlovenskaPosta = "SLOVENSKA_POSTA",
        /// Spring GDS.
        SpringGds = "SPRING_GDS",
        /// TNT.
        Tnt = "TNT",
        /// Top Trans.
        TopTrans = "TOP_TRANS",
        /// UPS.
        Ups = "UPS",
        /// WE|DO.
        Wedo = "WEDO",
        /// WE|DO Uloženka.
        WedoUlozenka = "WEDO_ULOZENKA",
        /// Zásilkovna (Packeta).
        Zasilkovna = "ZASILKOVNA",
    }
}

/// The carrier of an order: one Skip Pay knows (`{"carrierId": "DPD"}`) or any other, by name
/// (`{"carrierCustom": "My courier"}`). A bare string, as an older version of the API document
/// shows, is read too.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryCarrier {
    /// A predefined carrier.
    Predefined(CarrierId),
    /// A carrier not in the list, by name (at most 250 characters).
    Custom(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CarrierObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_id: Option<CarrierId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_custom: Option<String>,
}

impl Serialize for DeliveryCarrier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let obj = match self {
            DeliveryCarrier::Predefined(id) => CarrierObject {
                carrier_id: Some(id.clone()),
                carrier_custom: None,
            },
            DeliveryCarrier::Custom(name) => CarrierObject {
                carrier_id: None,
                carrier_custom: Some(name.clone()),
            },
        };
        obj.serialize(serializer)
    }
}

// A visitor of its own rather than `#[serde(untagged)]`: an untagged enum buffers the value
// into serde's `Content` first, a measured part of reading an order (bench `calls`).
impl<'de> Deserialize<'de> for DeliveryCarrier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CarrierVisitor;

        #[derive(Deserialize)]
        #[serde(field_identifier, rename_all = "camelCase")]
        enum CarrierKey {
            CarrierId,
            CarrierCustom,
            #[serde(other)]
            Other,
        }

        impl<'de> serde::de::Visitor<'de> for CarrierVisitor {
            type Value = DeliveryCarrier;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a delivery carrier: {\"carrierId\": ...}, {\"carrierCustom\": ...} or a name",
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<DeliveryCarrier, E> {
                Ok(match CarrierId::try_parse(text) {
                    Some(id) => DeliveryCarrier::Predefined(id),
                    None => DeliveryCarrier::Custom(text.to_owned()),
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DeliveryCarrier, A::Error> {
                // Each `Option<Option<_>>`: whether the key came (a `null` included), then
                // its value. A key given twice is refused, as serde's derived reader did: which
                // of the two Skip Pay meant is not known.
                let mut carrier_id: Option<Option<CarrierId>> = None;
                let mut carrier_custom: Option<Option<String>> = None;
                while let Some(key) = map.next_key::<CarrierKey>()? {
                    match key {
                        CarrierKey::CarrierId if carrier_id.is_some() => {
                            return Err(serde::de::Error::duplicate_field("carrierId"));
                        }
                        CarrierKey::CarrierCustom if carrier_custom.is_some() => {
                            return Err(serde::de::Error::duplicate_field("carrierCustom"));
                        }
                        CarrierKey::CarrierId => carrier_id = Some(map.next_value()?),
                        CarrierKey::CarrierCustom => carrier_custom = Some(map.next_value()?),
                        CarrierKey::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                match (carrier_id.flatten(), carrier_custom.flatten()) {
                    (Some(id), _) => Ok(DeliveryCarrier::Predefined(id)),
                    (None, Some(name)) => Ok(DeliveryCarrier::Custom(name)),
                    (None, None) => Err(serde::de::Error::custom(
                        "a delivery carrier needs `carrierId` or `carrierCustom`",
                    )),
                }
            }
        }

        deserializer.deserialize_any(CarrierVisitor)
    }
}

open_enum! {
    /// The type of an attached document.
    pub enum DocumentType {
        /// An invoice.
        Invoice = "INVOICE",
        /// A proforma invoice.
        ProformaInvoice = "PROFORMA_INVOICE",
        /// A credit note.
        CreditNote = "CREDIT_NOTE",
        /// Anything else.
        Other = "OTHER",
    }
}

/// Extra data of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DocumentExtraData {
    /// The document's variable symbol (digits, at most 10).
    pub variable_symbol: Option<String>,
}

/// A document attached to the order (invoice, credit note...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Document {
    /// The document's type.
    #[serde(rename = "type")]
    pub document_type: Option<DocumentType>,
    /// The file; its URL works for one hour after the answer.
    pub file: Option<FileRef>,
    /// A description.
    pub description: Option<String>,
    /// Extra data.
    pub extra_data: Option<DocumentExtraData>,
}

/// One item of an order (`OrderItemResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderItem {
    /// The e-shop's item code.
    pub code: Option<String>,
    /// The EAN.
    pub ean: Option<String>,
    /// The item's name.
    pub name: Option<String>,
    /// The item's type.
    #[serde(rename = "type")]
    pub item_type: Option<ItemType>,
    /// The variant.
    pub variant: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// The producer.
    pub producer: Option<String>,
    /// Categories.
    pub categories: Option<Vec<String>>,
    /// The price of all pieces, VAT included.
    pub total_price: Option<Amount>,
    /// The VAT of all pieces.
    pub total_vat: Option<VatAmount>,
    /// The item's page in the e-shop.
    pub product_url: Option<String>,
    /// The item's state. Absent only from answers that break the documented schema.
    pub state: Option<OrderState>,
    /// When the item was sent (only when the order was not sent at once).
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub sent_date: Option<Date>,
    /// When the item was delivered (only when the order was not sent at once).
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub delivery_date: Option<Date>,
    /// The item's tracking number (only when the order was not sent at once).
    pub delivery_tracking_number: Option<String>,
    /// The item's image.
    pub image: Option<FileRef>,
    /// The price of one piece.
    pub unit_price: Option<Amount>,
    /// The VAT of one piece.
    pub unit_vat: Option<VatAmount>,
    /// How many pieces (a decimal with up to 3 places).
    #[serde(default, with = "rescind_core::wire::decimal::option")]
    pub quantity: Option<Decimal>,
}

/// An order with its items and states. The answer of an order cancel
/// ([`OrderExtendedResponse`]) also carries [`Order::application_info`]; the order inside an
/// application ([`ApplicationResponse::order`](crate::model::ApplicationResponse)) does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Order {
    /// The e-shop's order number.
    pub number: Option<String>,
    /// Variable symbols for pairing payments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub variable_symbols: Vec<String>,
    /// The order's total price.
    pub total_price: Option<Amount>,
    /// The total VAT, per VAT rate.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_vat: Vec<VatAmount>,
    /// Billing and delivery addresses.
    #[serde(default, deserialize_with = "null_as_default")]
    pub addresses: Vec<Address>,
    /// How the order is delivered.
    pub delivery_type: Option<DeliveryType>,
    /// The carrier, for [`DeliveryType::DeliveryCarrier`].
    pub delivery_carrier: Option<DeliveryCarrier>,
    /// The sales channel.
    pub channel: Option<Channel>,
    /// Until when the e-shop reserves the goods. Documented as a date-time with an offset
    /// (`2017-07-15T00:00:00+02:00`); one without an offset is read as Prague time
    /// (Skip Pay's zone), a date alone as the start of that day there.
    #[serde(default, with = "reservation_date")]
    pub reservation_date: Option<Timestamp>,
    /// The order's state.
    pub state: Option<OrderState>,
    /// When the order was delivered.
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub delivery_date: Option<Date>,
    /// The order's tracking number.
    pub delivery_tracking_number: Option<String>,
    /// When the order was sent.
    #[serde(default, with = "rescind_core::wire::date::option")]
    pub sent_date: Option<Date>,
    /// Attached documents.
    #[serde(default, deserialize_with = "null_as_default")]
    pub documents: Vec<Document>,
    /// The items.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<OrderItem>,
    /// The merchant's id.
    pub merchant_id: Option<String>,
    /// The application the order belongs to (in an [`OrderExtendedResponse`]).
    pub application_info: Option<ApplicationInfo>,
    /// Fields of the answer that did not read and were skipped (see [`Order::skipped`]).
    #[serde(skip)]
    skipped: Vec<Skipped>,
}

/// The order cancel decides on the order's state and its items' identifiers, quantities and
/// states; anything else that does not read is skipped.
impl Tolerant for Order {
    const NEEDED: &'static [&'static str] = &[
        "state",
        "items[].code",
        "items[].ean",
        "items[].name",
        "items[].type",
        "items[].state",
        "items[].quantity",
    ];

    fn set_skipped(&mut self, skipped: Vec<Skipped>) {
        self.skipped = skipped;
    }
}

/// `reservationDate`: with an offset as documented, or without one in Prague time.
mod reservation_date {
    use rescind_core::jiff::Timestamp;
    use rescind_core::jiff::tz::TimeZone;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        let Some(raw) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        if raw.trim().is_empty() {
            return Ok(None);
        }
        // Looked up once per process: a lookup in the bundled database per answer read was a
        // measured part of a cancel's decode (bench `calls`).
        static PRAGUE: std::sync::OnceLock<Result<TimeZone, String>> = std::sync::OnceLock::new();
        let prague = PRAGUE
            .get_or_init(|| TimeZone::get("Europe/Prague").map_err(|e| e.to_string()))
            .as_ref()
            .map_err(serde::de::Error::custom)?;
        rescind_core::wire::parse_timestamp(&raw, prague)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expected a date-time such as 2017-07-15T00:00:00+02:00, got {raw:?}"
                ))
            })
    }
}

/// The answer of the order operations (order cancel): the order plus
/// [`application_info`](Order::application_info).
pub type OrderExtendedResponse = Order;

impl Order {
    /// Whether the order as a whole is cancelled: its state says so, or every item does.
    pub fn is_cancelled(&self) -> bool {
        reads_cancelled(
            self.state.as_ref(),
            self.items.iter().map(|i| i.state.as_ref()),
        )
    }

    /// Whether an order answer reads cancelled as a whole: the application it names
    /// (`applicationInfo.state`: a cancelled application cancels its whole order), or the
    /// order itself ([`Order::is_cancelled`]).
    pub(crate) fn reads_cancelled(&self) -> bool {
        let app_cancelled = self
            .application_info
            .as_ref()
            .is_some_and(|i| i.state == super::ApplicationState::Cancelled);
        app_cancelled || self.is_cancelled()
    }

    /// Fields of the answer that did not read and were skipped, with their raw JSON: none
    /// needed by a cancel (see [`Tolerant::NEEDED`]). Empty for a clean answer.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// How many items are cancelled and how many are not.
    pub fn item_counts(&self) -> (usize, usize) {
        item_counts(self.items.iter().map(|i| i.state.as_ref()))
    }
}

/// [`Order::is_cancelled`] of an order's state and its items' states.
pub(super) fn reads_cancelled<'a>(
    state: Option<&OrderState>,
    items: impl ExactSizeIterator<Item = Option<&'a OrderState>>,
) -> bool {
    let cancelled = |s: Option<&OrderState>| s == Some(&OrderState::Cancelled);
    cancelled(state) || (items.len() > 0 && { items }.all(cancelled))
}

/// [`Order::item_counts`] of an order's items' states.
pub(super) fn item_counts<'a>(
    items: impl ExactSizeIterator<Item = Option<&'a OrderState>>,
) -> (usize, usize) {
    let all = items.len();
    let cancelled = items.filter(|s| *s == Some(&OrderState::Cancelled)).count();
    (cancelled, all - cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrier(json: &str) -> Result<DeliveryCarrier, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn a_delivery_carrier_reads_in_each_documented_form() {
        assert_eq!(
            carrier(r#"{"carrierId": "DPD"}"#).unwrap(),
            DeliveryCarrier::Predefined(CarrierId::Dpd)
        );
        assert_eq!(
            carrier(r#"{"carrierCustom": "Bike courier Brno"}"#).unwrap(),
            DeliveryCarrier::Custom("Bike courier Brno".into())
        );
        // An id wins over a name; a null is no value; an unknown key is ignored.
        assert_eq!(
            carrier(r#"{"carrierCustom": "x", "carrierId": "PPL", "note": [1, {"a": null}]}"#)
                .unwrap(),
            DeliveryCarrier::Predefined(CarrierId::Ppl)
        );
        assert_eq!(
            carrier(r#"{"carrierId": null, "carrierCustom": "Kurýr"}"#).unwrap(),
            DeliveryCarrier::Custom("Kurýr".into())
        );
        // The older API document's bare string, escapes included.
        assert_eq!(
            carrier(r#""DPD""#).unwrap(),
            DeliveryCarrier::Predefined(CarrierId::Dpd)
        );
        assert_eq!(
            carrier(r#""My \"fast\" courier""#).unwrap(),
            DeliveryCarrier::Custom("My \"fast\" courier".into())
        );
    }

    #[test]
    fn a_delivery_carrier_without_id_or_name_is_refused_by_name() {
        let err = carrier(r#"{"carrierId": null}"#).unwrap_err().to_string();
        assert!(
            err.contains("carrierId") && err.contains("carrierCustom"),
            "{err}"
        );
        assert!(carrier("42").is_err());
        assert!(carrier(r#"{"carrierId": 7}"#).is_err());
    }

    #[test]
    fn a_delivery_carrier_round_trips() {
        for c in [
            DeliveryCarrier::Predefined(CarrierId::Dpd),
            DeliveryCarrier::Custom("Bike courier Brno".into()),
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(carrier(&json).unwrap(), c);
        }
    }
}
