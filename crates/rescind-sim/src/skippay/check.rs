//! Checks of request bodies, on the raw JSON, so that every refusal names the attribute at
//! fault (`order.items[1].quantity`) and nothing lenient in a model type hides a bad body.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::errors::ApiError;

/// The item types Skip Pay documents (`ItemType`).
pub(crate) const ITEM_TYPES: &[&str] = &[
    "PHYSICAL",
    "DISCOUNT",
    "SHIPPING_FEE",
    "SALES_TAX",
    "DIGITAL",
    "GIFT_CARD",
    "STORE_CREDIT",
    "FEE",
    "INSURANCE",
];

/// The currencies accepted (the 2023 document says CZK only, the current pages CZK and EUR).
pub(crate) const CURRENCIES: &[&str] = &["CZK", "EUR"];

/// Joins a path and a key: `join("order", "items")` is `order.items`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The body as a JSON object, or 400 naming no attribute.
pub(crate) fn body_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            None,
            "The request body is missing: send a JSON object ({} when there is nothing to say)",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid(
            None,
            "The request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::invalid(
            None,
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// The body of a cancel: an empty body is `{}`, the documentation's "empty request" (the
/// order cancel: "Use ... with an empty request to cancel all order items"; the application
/// cancel's fields are all optional).
pub(crate) fn body_object_or_empty(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    body_object(bytes)
}

/// A field that must be an object (absent or `null` is `None`).
pub(crate) fn opt_object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::invalid(
            Some(&join(path, key)),
            "must be an object",
        )),
    }
}

/// A required object.
pub(crate) fn req_object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    opt_object(map, key, path)?
        .ok_or_else(|| ApiError::invalid(Some(&join(path, key)), "is required"))
}

/// A field that must be an array (absent or `null` is `None`).
pub(crate) fn opt_array<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Vec<Value>>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(ApiError::invalid(
            Some(&join(path, key)),
            "must be an array",
        )),
    }
}

/// A string of at most `max` characters, not blank (absent or `null` is `None`).
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
    max: usize,
) -> Result<Option<&'a str>, ApiError> {
    let attr = join(path, key);
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.trim().is_empty() {
                return Err(ApiError::invalid(Some(&attr), "must not be empty"));
            }
            let chars = s.chars().count();
            if chars > max {
                return Err(ApiError::invalid(
                    Some(&attr),
                    format!("must be at most {max} characters long (it has {chars})"),
                ));
            }
            Ok(Some(s))
        }
        Some(_) => Err(ApiError::invalid(Some(&attr), "must be a string")),
    }
}

/// A required string of at most `max` characters.
pub(crate) fn req_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
    max: usize,
) -> Result<&'a str, ApiError> {
    opt_str(map, key, path, max)?
        .ok_or_else(|| ApiError::invalid(Some(&join(path, key)), "is required"))
}

/// A string that must be one of `allowed` (absent or `null` is `None`).
pub(crate) fn opt_enum<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    let attr = join(path, key);
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(
            Some(&attr),
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

/// A boolean (absent or `null` is `None`).
pub(crate) fn opt_bool(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<bool>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(
            Some(&join(path, key)),
            "must be true or false",
        )),
    }
}

/// A quantity: a JSON number (not a string), at least 1, at most 3 decimal places.
pub(crate) fn opt_quantity(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<Decimal>, ApiError> {
    let attr = join(path, key);
    let number = match map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n,
        Some(_) => return Err(ApiError::invalid(Some(&attr), "must be a number")),
    };
    let text = number.to_string();
    let q = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| ApiError::invalid(Some(&attr), format!("`{text}` is not a quantity")))?;
    if q < Decimal::ONE {
        return Err(ApiError::invalid(
            Some(&attr),
            format!("must be at least 1 (it is {text})"),
        ));
    }
    if q.normalize().scale() > 3 {
        return Err(ApiError::invalid(
            Some(&attr),
            format!("must have at most 3 decimal places (it is {text})"),
        ));
    }
    Ok(Some(q.normalize()))
}

/// An amount in minor units: a JSON number with a whole value (`12590`, `12590.0`; the
/// document types it `number`).
fn minor_units(map: &Map<String, Value>, key: &str, path: &str) -> Result<i64, ApiError> {
    let attr = join(path, key);
    match map.get(key) {
        None | Some(Value::Null) => Err(ApiError::invalid(Some(&attr), "is required")),
        Some(Value::Number(n)) => super::wire::whole_minor_units(n).ok_or_else(|| {
            ApiError::invalid(
                Some(&attr),
                "must be a whole number of minor units (12590 is 125.90)",
            )
        }),
        Some(_) => Err(ApiError::invalid(Some(&attr), "must be a number")),
    }
}

/// `Amount`: `{amount, currency}`; returns the currency. Absent or `null` is `None`.
pub(crate) fn opt_amount<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, ApiError> {
    let Some(obj) = opt_object(map, key, path)? else {
        return Ok(None);
    };
    let here = join(path, key);
    minor_units(obj, "amount", &here)?;
    let currency = opt_enum(obj, "currency", &here, CURRENCIES)?
        .ok_or_else(|| ApiError::invalid(Some(&join(&here, "currency")), "is required"))?;
    Ok(Some(currency))
}

/// A required [`opt_amount`].
pub(crate) fn req_amount<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, ApiError> {
    opt_amount(map, key, path)?
        .ok_or_else(|| ApiError::invalid(Some(&join(path, key)), "is required"))
}

/// `VatAmount`: an amount and a `vatRate` of 0 or more, at `path` (an object).
pub(crate) fn vat_amount(value: &Value, path: &str) -> Result<(), ApiError> {
    let Value::Object(obj) = value else {
        return Err(ApiError::invalid(Some(path), "must be an object"));
    };
    minor_units(obj, "amount", path)?;
    opt_enum(obj, "currency", path, CURRENCIES)?
        .ok_or_else(|| ApiError::invalid(Some(&join(path, "currency")), "is required"))?;
    let attr = join(path, "vatRate");
    match obj.get("vatRate") {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|r| r >= 0.0) => Ok(()),
        None | Some(Value::Null) => Err(ApiError::invalid(Some(&attr), "is required")),
        Some(_) => Err(ApiError::invalid(
            Some(&attr),
            "must be a number, 0 or more (15 is 15 %)",
        )),
    }
}

/// An array of `VatAmount`s (absent or `null` is fine unless `required`). A `null` entry is
/// skipped: the documentation's examples show `"totalVat": [null, null]`.
pub(crate) fn vat_list(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    required: bool,
) -> Result<(), ApiError> {
    let here = join(path, key);
    match opt_array(map, key, path)? {
        None if required => Err(ApiError::invalid(Some(&here), "is required")),
        None => Ok(()),
        Some(list) => {
            for (i, v) in list.iter().enumerate().filter(|(_, v)| !v.is_null()) {
                vat_amount(v, &format!("{here}[{i}]"))?;
            }
            Ok(())
        }
    }
}

/// `AddressType` values.
pub(crate) const ADDRESS_TYPES: &[&str] = &["PERMANENT", "CONTACT", "DELIVERY", "BILLING"];

/// `DeliveryType` values.
pub(crate) const DELIVERY_TYPES: &[&str] = &[
    "DELIVERY_CARRIER",
    "PERSONAL_BRANCH",
    "PERSONAL_PARTNER",
    "ONLINE",
];

/// Sales channels (the documentation's pages; default `ESHOP`).
pub(crate) const CHANNELS: &[&str] = &["ESHOP", "BRANCH", "FRANCHISE", "TELEPHONE", "INTERNAL"];

/// `carrierId` values, as the documentation's current pages list them (the OpenAPI document's
/// older `DeliveryCarrierDefault` lists a subset).
pub(crate) const CARRIER_IDS: &[&str] = &[
    "AIRWAY",
    "CZ_POST_HAND",
    "CZ_POST_OFFICE",
    "CZ_POST_OTHER",
    "DACHSER",
    "DB_SCHENKER",
    "DEUTSCHE_POST_DHL",
    "DHL",
    "DHL_EXPRESS",
    "DHL_FREIGHT",
    "DPD",
    "DSV",
    "FEDEX",
    "FOFR",
    "GEBRUDER_WEISS",
    "GEIS",
    "GLS",
    "HDS_COMFORT",
    "HDS_STANDARD",
    "IN_TIME",
    "JAPO_TRANSPORT",
    "LIFTAGO",
    "LOCAL_COURIER",
    "MAGYAR_POSTA",
    "MALL_DELIVERY",
    "MALL_DEPOSIT",
    "MESSENGER",
    "POSTA_BEZ_HRANIC",
    "PPL",
    "PPL_PARCEL_CONNECT",
    "RABEN",
    "SAMEDAY",
    "SDS",
    "SLOVAK_PARCEL_SERVICE",
    "SLOVENSKA_POSTA",
    "SPRING_GDS",
    "TNT",
    "TOP_TRANS",
    "UPS",
    "WEDO",
    "WEDO_ULOZENKA",
    "ZASILKOVNA",
];

/// A list of `Address`es at `path.key`, each of a type in `allowed`: `addressType`, `city`
/// (at most 100), `country`, `streetAddress` (at most 100) and `zip` (at most 30) required;
/// `name` and `streetNumber` (at most 100) nullable.
pub(crate) fn addresses(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    allowed: &[&str],
) -> Result<(), ApiError> {
    let here = join(path, key);
    let Some(list) = opt_array(map, key, path)? else {
        return Ok(());
    };
    for (i, address) in list.iter().enumerate() {
        let at = format!("{here}[{i}]");
        let Value::Object(a) = address else {
            return Err(ApiError::invalid(Some(&at), "must be an object"));
        };
        opt_enum(a, "addressType", &at, allowed)?
            .ok_or_else(|| ApiError::invalid(Some(&join(&at, "addressType")), "is required"))?;
        req_str(a, "city", &at, 100)?;
        req_str(a, "country", &at, 2)?;
        req_str(a, "streetAddress", &at, 100)?;
        req_str(a, "zip", &at, 30)?;
        opt_str(a, "name", &at, 100)?;
        opt_str(a, "streetNumber", &at, 100)?;
    }
    Ok(())
}

/// `deliveryCarrier`: `{"carrierId": one of CARRIER_IDS}` or `{"carrierCustom": "..."}` (at
/// most 250), or a bare string as an older version of the document shows.
pub(crate) fn delivery_carrier(map: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    let here = join(path, "deliveryCarrier");
    match map.get("deliveryCarrier") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 250 => Ok(()),
        Some(Value::Object(c)) => {
            let id = opt_enum(c, "carrierId", &here, CARRIER_IDS)?;
            let custom = opt_str(c, "carrierCustom", &here, 250)?;
            if id.is_none() && custom.is_none() {
                return Err(ApiError::invalid(
                    Some(&here),
                    "needs carrierId or carrierCustom",
                ));
            }
            Ok(())
        }
        Some(_) => Err(ApiError::invalid(
            Some(&here),
            "must be {\"carrierId\"} or {\"carrierCustom\"}",
        )),
    }
}

/// A date-time with an offset (`2017-07-15T00:00:00+02:00`), nullable.
pub(crate) fn opt_datetime(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<(), ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.parse::<jiff::Timestamp>().is_ok() => Ok(()),
        Some(_) => Err(ApiError::invalid(
            Some(&join(path, key)),
            "must be a date and time with an offset (2017-07-15T00:00:00+02:00)",
        )),
    }
}

/// A list of strings, nullable.
pub(crate) fn opt_string_list(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<(), ApiError> {
    if let Some(list) = opt_array(map, key, path)?
        && !list.iter().all(Value::is_string)
    {
        return Err(ApiError::invalid(
            Some(&join(path, key)),
            "must be a list of strings",
        ));
    }
    Ok(())
}
