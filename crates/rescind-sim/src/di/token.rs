//! JWT-shaped login tokens: `base64url(header).base64url(payload).base64url(signature)`.
//!
//! The payload carries the claims Di's real tokens carry (`sub`, `iat`, `exp`, `userId`,
//! `roles`, `flowShops`, `webServices`) plus a `jti`; `iat` and `exp` come from the simulator's
//! clock. The signature is not a real one: the simulator recognises its tokens because it
//! remembers each one it issued ([`DiToken`](super::DiToken)), not by checking a signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::json;

use super::DiUser;

/// Java controller names Di lists in a token's `webServices` claim.
const WEB_SERVICES: [&str; 3] = [
    "no.di.ws.json.controllers.FlowBooking",
    "no.di.ws.json.controllers.TransportInformation",
    "no.di.ws.json.controllers.EventLog.read",
];

/// A new token for `user`, issued at `iat`, expiring at `exp`; `jti` makes it unique.
pub(crate) fn issue(user: &DiUser, iat: Timestamp, exp: Timestamp, jti: u64) -> String {
    let header = json!({"alg": "HS512", "typ": "JWT"});
    let mut services: Vec<&str> = WEB_SERVICES.to_vec();
    if user.edit_orders {
        services.push("no.di.ws.json.controllers.EditOrder");
    }
    let payload = json!({
        "sub": user.username,
        "iat": iat.as_second(),
        "exp": exp.as_second(),
        "jti": jti.to_string(),
        "userId": user.user_id,
        "roles": ["WEBSERVICE"],
        "customerSystems": [],
        "flowShops": user.shop_ids,
        "webServices": services,
    });
    let signature = format!("rescind-sim-not-a-signature-{jti}");
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_decodes_with_exp_and_iat() {
        let user = DiUser {
            username: "u".into(),
            password: "p".into(),
            user_id: 7,
            shop_ids: vec![1],
            edit_orders: true,
        };
        let iat: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let exp: Timestamp = "2026-01-01T00:05:00Z".parse().unwrap();
        let token = issue(&user, iat, exp, 3);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
            300
        );
        assert_eq!(payload["sub"], "u");
        assert_eq!(payload["flowShops"], json!([1]));
    }
}
