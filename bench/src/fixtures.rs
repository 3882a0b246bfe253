//! The bodies the benchmarks use, built from the providers' documented examples (the client
//! crates' test fixtures), grown to the sizes the report names.

use serde_json::Value;

/// Arta's documented hosted session (one object, status `new`).
pub const ARTA_HOSTED_SESSION: &str =
    include_str!("../../crates/rescind-arta/tests/fixtures/hosted_session_cancel_200.json");

/// Skip Pay's documented order answer (one item).
pub const SKIPPAY_ORDER: &str =
    include_str!("../../crates/rescind-skippay/tests/fixtures/order_cancel_200.json");

/// Di's documented order details (`GET .../details/{identifier}`).
pub const DI_ORDER_DETAILS: &str =
    include_str!("../../crates/rescind-di/tests/fixtures/order_details.json");

/// Skip Pay's documented READY application (`GET /financing/v1/applications/{id}`).
pub const SKIPPAY_APPLICATION: &str =
    include_str!("../../crates/rescind-skippay/tests/fixtures/application_ready.json");

/// The API key the minimal server expects and the benchmark clients send.
pub const ARTA_KEY: &str = "bench_arta_key_0123456789abcdef";

/// Di's login answer (`{"token": "<JWT>"}`, a 24-hour token by its `exp - iat`): what the
/// minimal server answers to `POST /ws/json/auth/v-3/login/{minutesValid}`, byte for byte.
pub const DI_LOGIN: &str =
    include_str!("../../crates/rescind-di/tests/fixtures/login_response.json");

/// Skip Pay's login answer (`accessToken`, `expiresIn` 7200 s): what the minimal server answers
/// to `POST /authentication/v1/partner`, byte for byte.
pub const SKIPPAY_LOGIN: &str =
    include_str!("../../crates/rescind-skippay/tests/fixtures/login_200.json");

/// The user name and password the Di and Skip Pay benchmark clients log in with (the minimal
/// server answers any login).
pub const LOGIN: (&str, &str) = ("bench_user", "bench_password");

/// The token in [`DI_LOGIN`]: the one the minimal server accepts on Di's routes.
pub fn di_token() -> String {
    parse(DI_LOGIN)["token"]
        .as_str()
        .expect("the Di login fixture has a token")
        .to_owned()
}

/// The token in [`SKIPPAY_LOGIN`]: the one the minimal server accepts on Skip Pay's routes.
pub fn skippay_token() -> String {
    parse(SKIPPAY_LOGIN)["accessToken"]
        .as_str()
        .expect("the Skip Pay login fixture has an access token")
        .to_owned()
}

/// Skip Pay's documented order-cancel answer as compact JSON, with the order and each item
/// `CANCELLED` (the documented example answers them still `PROCESSING`, which rightly does not
/// prove the cancel to the client), cut around `applicationInfo.id`: the answer about
/// application `N` is `prefix`, `N`, `suffix`.
pub fn skippay_cancelled_order_around_id() -> (Vec<u8>, Vec<u8>) {
    let mut v = parse(SKIPPAY_ORDER);
    v["state"] = Value::from("CANCELLED");
    if let Some(items) = v["items"].as_array_mut() {
        for item in items {
            item["state"] = Value::from("CANCELLED");
        }
    }
    v["applicationInfo"]["id"] = Value::from(MARK);
    // The id is a JSON string: cut inside its quotes.
    around_mark(&to_vec(&v), MARK)
}

/// Di's documented order details as compact JSON, with a desired delivery date far ahead
/// (`2099-12-31`), so that the order may still be cancelled (Di counts a shipment in transit
/// from the day before that date): what a check-first cancel reads before cancelling.
pub fn di_order_details_cancellable() -> Vec<u8> {
    let mut v = parse(DI_ORDER_DETAILS);
    v["desiredDeliveryDate"] = Value::from("2099-12-31");
    to_vec(&v)
}

/// Skip Pay's documented READY application as compact JSON, cut around its `id`: the
/// application `N` is `prefix`, `N`, `suffix`. Its order is not cancelled, so a check-first
/// whole cancel decides to cancel the order.
pub fn skippay_application_around_id() -> (Vec<u8>, Vec<u8>) {
    let mut v = parse(SKIPPAY_APPLICATION);
    v["id"] = Value::from(MARK);
    around_mark(&to_vec(&v), MARK)
}

const MARK: &str = "__rescind_bench_id__";

/// `bytes` cut around `quoted` (the [`MARK`], with or without its quotes).
fn around_mark(bytes: &[u8], quoted: &str) -> (Vec<u8>, Vec<u8>) {
    let at = bytes
        .windows(quoted.len())
        .position(|w| w == quoted.as_bytes())
        .expect("the mark is in the body");
    (bytes[..at].to_vec(), bytes[at + quoted.len()..].to_vec())
}

/// Arta's hosted session with `status` set, as compact JSON: what the minimal server answers.
pub fn arta_session(status: &str) -> Vec<u8> {
    let mut v = parse(ARTA_HOSTED_SESSION);
    v["status"] = Value::from(status);
    to_vec(&v)
}

/// Arta's hosted session with `status`, cut around its top-level `id` value: the answer for
/// session `N` is `prefix`, `N`, `suffix` (an answer must be about the session asked for, or
/// the client rightly refuses it as proof of the change).
pub fn arta_session_around_id(status: &str) -> (Vec<u8>, Vec<u8>) {
    let mut v = parse(ARTA_HOSTED_SESSION);
    v["status"] = Value::from(status);
    v["id"] = Value::from(MARK);
    // The id is a JSON number: cut the quoted mark out whole.
    around_mark(&to_vec(&v), &format!("\"{MARK}\""))
}

/// Arta's hosted session with `objects` objects (each the documented one, with its own id).
pub fn arta_session_with_objects(objects: usize) -> Vec<u8> {
    let mut v = parse(ARTA_HOSTED_SESSION);
    let template = v["objects"][0].clone();
    v["objects"] = Value::Array(
        (0..objects)
            .map(|i| {
                let mut o = template.clone();
                o["id"] = Value::from(10_000 + i);
                o
            })
            .collect(),
    );
    to_vec(&v)
}

/// Skip Pay's order answer with `items` items (each the documented one, with its own code).
pub fn skippay_order_with_items(items: usize) -> Vec<u8> {
    let mut v = parse(SKIPPAY_ORDER);
    let template = v["items"][0].clone();
    v["items"] = Value::Array(
        (0..items)
            .map(|i| {
                let mut o = template.clone();
                o["code"] = Value::from(format!("SKU-{i}"));
                o
            })
            .collect(),
    );
    to_vec(&v)
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("the fixtures are the client crates' tested JSON")
}

fn to_vec(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grown_bodies_decode_with_the_sizes_asked() {
        let session: rescind_arta::model::HostedSession =
            serde_json::from_slice(&arta_session_with_objects(50)).unwrap();
        assert_eq!(session.objects.len(), 50);
        let order: rescind_skippay::model::Order =
            serde_json::from_slice(&skippay_order_with_items(200)).unwrap();
        assert_eq!(order.items.len(), 200);
        assert_eq!(order.items[199].code.as_deref(), Some("SKU-199"));
    }

    #[test]
    fn the_skippay_answer_is_about_the_id_and_cancelled() {
        let (prefix, suffix) = skippay_cancelled_order_around_id();
        let body = [prefix, b"42".to_vec(), suffix].concat();
        let order: rescind_skippay::model::Order = serde_json::from_slice(&body).unwrap();
        assert!(order.is_cancelled());
        assert_eq!(order.application_info.unwrap().id, "42");
    }

    #[test]
    fn the_tokens_are_the_login_fixtures() {
        assert!(di_token().starts_with("eyJ"));
        assert!(!skippay_token().is_empty());
    }

    #[test]
    fn session_status_is_set() {
        let v: Value = serde_json::from_slice(&arta_session("cancelled")).unwrap();
        assert_eq!(v["status"], "cancelled");
    }
}
